// Package bench holds wharf's speed and memory benchmarks. It has no tests:
// `go test ./...` compiles it and runs nothing. See README.md.
package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
)

var benchLarge = flag.Bool("bench-large", false, "also run the 1 GiB sizes (or set WHARF_BENCH_LARGE=1)")

func large() bool { return *benchLarge || os.Getenv("WHARF_BENCH_LARGE") != "" }

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

// asset is a deterministic, seekable stream of size bytes: a 64 KiB block of
// pseudo-random bytes drawn from seed, repeated. It never holds more than the
// block, so a 1 GiB asset costs 64 KiB of memory. Different seeds give
// different contents (the blob store deduplicates identical ones).
type asset struct {
	block []byte
	size  int64
	off   int64
}

func newAsset(seed uint64, size int64) *asset {
	block := make([]byte, 64*kib)
	r := rand.New(rand.NewPCG(seed, 0x77686172660a))
	for i := range block {
		block[i] = byte(r.Uint32())
	}
	return &asset{block: block, size: size}
}

func (a *asset) Read(p []byte) (int, error) {
	if a.off >= a.size {
		return 0, io.EOF
	}
	if rem := a.size - a.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	n := 0
	for n < len(p) {
		i := int((a.off + int64(n)) % int64(len(a.block)))
		n += copy(p[n:], a.block[i:])
	}
	a.off += int64(n)
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
		return 0, errors.New("asset: negative position")
	}
	a.off = offset
	return offset, nil
}

// sha256Of hashes the asset in one streaming pass and rewinds it.
func sha256Of(a *asset) string {
	h := sha256.New()
	if _, err := io.Copy(h, a); err != nil {
		panic(err)
	}
	a.off = 0
	return hex.EncodeToString(h.Sum(nil))
}

// heapSampler records the largest growth of live-plus-unswept heap objects
// ("/memory/classes/heap/objects:bytes") over a baseline taken after a GC.
type heapSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	base uint64
	peak uint64
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func heapObjects(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	s := []metrics.Sample{{Name: heapMetric}}
	h := &heapSampler{stop: make(chan struct{}), base: heapObjects(s)}
	h.peak = h.base
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		s := []metrics.Sample{{Name: heapMetric}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := heapObjects(s); v > h.peak {
				h.peak = v
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// peakMB stops the sampler and returns the peak growth in MB (10^6 bytes).
func (h *heapSampler) peakMB() float64 {
	close(h.stop)
	h.wg.Wait()
	return float64(h.peak-h.base) / 1e6
}

// BenchmarkGenericPublishDownload publishes a generic asset and streams it
// back with GetPackageVersionAsset to io.Discard, against an in-process wharf on
// loopback. One op is one publish plus one download of a new version; SetBytes is
// the asset size, so MB/s is asset bytes per (publish + download).
//
//   - publish=api: PublishPackageVersion through the SDK (SigV4 verification,
//     body spooling, the service layer, the blob store).
//   - publish=engine: the same blob-store write (packages.Engine.PutAsset, then
//     Publish) without the HTTP/SigV4 layer, to separate the API layers' cost.
//     The download is always GetPackageVersionAsset through the SDK.
//
// An api sub-benchmark whose size the server refuses (over --max-publish-bytes)
// skips with the server's answer.
func BenchmarkGenericPublishDownload(b *testing.B) {
	srv := apptest.Start(b)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("bench"), Repository: aws.String("gen")}); err != nil {
		b.Fatal(err)
	}
	repo, err := srv.App.Store().GetRepository(ctx, apptest.Account, "bench", "gen")
	if err != nil {
		b.Fatal(err)
	}
	sizes := []int64{1 * mib, 8 * mib, 64 * mib}
	if large() {
		sizes = append(sizes, 1*gib)
	}
	var seed uint64
	publishAPI := func(a *asset, sum, version string) error {
		out, err := ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
			Domain: aws.String("bench"), Repository: aws.String("gen"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("bench"), Package: aws.String("blob"), PackageVersion: aws.String(version),
			AssetName: aws.String("blob.bin"), AssetContent: a, AssetSHA256: aws.String(sum),
		})
		if err != nil {
			return err
		}
		if out.Asset == nil || aws.ToInt64(out.Asset.Size) != a.size {
			return fmt.Errorf("publish: asset %+v", out.Asset)
		}
		return nil
	}
	publishEngine := func(a *asset, sum, version string) error {
		e := srv.App.Engine
		as, err := e.PutAsset(ctx, repo, "blob.bin", a, sum)
		if err != nil {
			return err
		}
		if as.Size != a.size {
			return fmt.Errorf("publish: asset size %d", as.Size)
		}
		chain, err := e.SearchOrder(ctx, repo)
		if err != nil {
			return err
		}
		k := packages.Key(repo, model.FormatGeneric, "bench", "blob")
		_, err = e.Publish(ctx, chain, model.PackageVersion{PackageKey: k, Version: version, Status: model.StatusPublished, DisplayName: "blob"}, []model.Asset{as})
		return err
	}
	for _, mode := range []string{"api", "engine"} {
		publish := publishAPI
		if mode == "engine" {
			publish = publishEngine
		}
		for _, size := range sizes {
			b.Run("publish="+mode+"/size="+sizeName(size), func(b *testing.B) {
				b.SetBytes(size)
				b.ReportAllocs()
				var pubDur, getDur time.Duration
				var heap *heapSampler
				n := 0
				for b.Loop() {
					b.StopTimer()
					seed++
					a := newAsset(seed, size)
					sum := sha256Of(a)
					version := fmt.Sprintf("%d.0.0", seed)
					if heap == nil {
						heap = startHeapSampler()
					}
					b.StartTimer()

					t0 := time.Now()
					if err := publish(a, sum, version); err != nil {
						var re *awshttp.ResponseError
						if mode == "api" && errors.As(err, &re) && re.HTTPStatusCode() == http.StatusRequestEntityTooLarge {
							heap.peakMB()
							b.Skipf("wharf refuses the API publish: %v", err)
						}
						b.Fatalf("publish %s: %v", sizeName(size), err)
					}
					t1 := time.Now()
					got, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{
						Domain: aws.String("bench"), Repository: aws.String("gen"), Format: types.PackageFormatGeneric,
						Namespace: aws.String("bench"), Package: aws.String("blob"), PackageVersion: aws.String(version),
						Asset: aws.String("blob.bin"),
					})
					if err != nil {
						b.Fatalf("get asset: %v", err)
					}
					m, err := io.Copy(io.Discard, got.Asset)
					got.Asset.Close()
					if err != nil || m != size {
						b.Fatalf("download: %d of %d bytes, %v", m, size, err)
					}
					t2 := time.Now()
					pubDur += t1.Sub(t0)
					getDur += t2.Sub(t1)
					n++
				}
				b.ReportMetric(heap.peakMB(), "peak-heap-MB")
				b.ReportMetric(float64(size)*float64(n)/1e6/pubDur.Seconds(), "publish-MB/s")
				b.ReportMetric(float64(size)*float64(n)/1e6/getDur.Seconds(), "download-MB/s")
			})
		}
	}
}

func sizeName(n int64) string {
	switch {
	case n >= gib && n%gib == 0:
		return fmt.Sprintf("%dGiB", n/gib)
	case n >= mib && n%mib == 0:
		return fmt.Sprintf("%dMiB", n/mib)
	}
	return fmt.Sprintf("%dB", n)
}

// BenchmarkControlPlane measures SigV4-signed control-plane round trips
// through the SDK: DescribeRepository and ListRepositoriesInDomain on a domain
// of 20 repositories.
func BenchmarkControlPlane(b *testing.B) {
	srv := apptest.Start(b)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("bench"), Repository: aws.String(fmt.Sprintf("repo-%02d", i))}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("DescribeRepository", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("bench"), Repository: aws.String("repo-07")}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("ListRepositoriesInDomain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			out, err := ca.ListRepositoriesInDomain(ctx, &codeartifact.ListRepositoriesInDomainInput{Domain: aws.String("bench")})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Repositories) != 20 {
				b.Fatalf("%d repositories", len(out.Repositories))
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
