package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// asset is a deterministic, seekable stream of size bytes (one 64 KiB
// pseudo-random block repeated): the SDK needs to seek to sign and send it, and
// nothing here ever holds the asset in memory.
type asset struct {
	block []byte
	size  int64
	off   int64
}

func newAsset(seed uint64, size int64) *asset {
	b := make([]byte, 64<<10)
	x := seed*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return &asset{block: b, size: size}
}

func (a *asset) Read(p []byte) (int, error) {
	if a.off >= a.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && a.off < a.size {
		i := a.off % int64(len(a.block))
		m := copy(p[n:], a.block[i:])
		if rest := a.size - a.off; int64(m) > rest {
			m = int(rest)
		}
		n += m
		a.off += int64(m)
	}
	return n, nil
}

func (a *asset) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += a.off
	case io.SeekEnd:
		offset += a.size
	}
	if offset < 0 {
		return 0, errors.New("negative seek")
	}
	a.off = offset
	return offset, nil
}

// generic publishes one asset of -size bytes as a new version of a generic
// package in repository "gen" and streams it back, checking its SHA-256.
func generic(args []string) error {
	fs := flag.NewFlagSet("generic", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "wharf base URL")
	size := fs.Int64("size", 1<<30, "asset size in bytes")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	ca := client(*endpoint, 2)
	seed := uint64(time.Now().UnixNano())
	a := newAsset(seed, *size)
	h := sha256.New()
	if _, err := io.Copy(h, a); err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if _, err := a.Seek(0, io.SeekStart); err != nil {
		return err
	}
	version := fmt.Sprintf("%d.0.0", seed%1000000007)
	t0 := time.Now()
	if _, err := ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
		Domain: aws.String(Domain), Repository: aws.String("gen"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("bench"), Package: aws.String("blob"), PackageVersion: aws.String(version),
		AssetName: aws.String("blob.bin"), AssetContent: a, AssetSHA256: aws.String(sum),
	}); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	pub := time.Since(t0)
	t1 := time.Now()
	out, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{
		Domain: aws.String(Domain), Repository: aws.String("gen"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("bench"), Package: aws.String("blob"), PackageVersion: aws.String(version),
		Asset: aws.String("blob.bin"),
	})
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	h.Reset()
	n, err := io.Copy(h, out.Asset)
	out.Asset.Close()
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	get := time.Since(t1)
	if n != *size || hex.EncodeToString(h.Sum(nil)) != sum {
		return fmt.Errorf("download: %d bytes, sha256 mismatch or short", n)
	}
	mb := float64(*size) / 1e6
	fmt.Printf("bytes=%d\npublish_s=%.1f\npublish_MBps=%.0f\ndownload_s=%.1f\ndownload_MBps=%.0f\n", *size, pub.Seconds(), mb/pub.Seconds(), get.Seconds(), mb/get.Seconds())
	return nil
}
