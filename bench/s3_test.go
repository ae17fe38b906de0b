package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/proctest"
	"github.com/wharf-dev/wharf/internal/s3test"
)

// BenchmarkS3Asset1GiB publishes a 1 GiB generic asset to a wharf process
// whose blobs are in S3 (versitygw, internal/s3test), reads it back, and reports the wharf
// process's peak RSS (VmHWM) after each: streaming means it stays flat.
//
//	go test ./bench -run '^$' -bench S3Asset1GiB -benchtime 1x
func BenchmarkS3Asset1GiB(b *testing.B) {
	const size = 1 << 30
	s3srv := s3test.Start(b)
	cfgDir := b.TempDir()
	creds := "[s3]\naws_access_key_id = " + s3srv.AccessKeyID + "\naws_secret_access_key = " + s3srv.SecretAccessKey + "\n"
	if err := os.WriteFile(filepath.Join(cfgDir, "credentials"), []byte(creds), 0o600); err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(cfgDir, "config"), nil, 0o600)
	p := proctest.Start(b, b.TempDir(), []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(cfgDir, "credentials"), "AWS_CONFIG_FILE=" + filepath.Join(cfgDir, "config"),
		"AWS_EC2_METADATA_DISABLED=true",
	}, "--blobs", "s3://"+s3srv.Bucket+"/bench", "--s3-endpoint", s3srv.Endpoint, "--s3-region", s3test.Region,
		"--s3-path-style", "--s3-profile", "s3", "--max-publish-bytes", "2147483648")

	// The asset on disk (the SDK signs a seekable body's SHA-256).
	file := filepath.Join(b.TempDir(), "asset.bin")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), blobtest.Reader(42, size)); err != nil {
		b.Fatal(err)
	}
	f.Close()
	sum := hex.EncodeToString(h.Sum(nil))

	ctx := context.Background()
	ca := codeartifact.New(codeartifact.Options{Region: "us-east-1", BaseEndpoint: aws.String(p.URL),
		Credentials: credentials.NewStaticCredentialsProvider(proctest.AccessKeyID, proctest.SecretAccessKey, "")})
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("big")}); err != nil {
		b.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("big"), Repository: aws.String("files")}); err != nil {
		b.Fatal(err)
	}
	startKiB, _ := p.RSSKiB()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		body, _ := os.Open(file)
		_, err := ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
			Domain: aws.String("big"), Repository: aws.String("files"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("bench"), Package: aws.String("big"), PackageVersion: aws.String("1." + itoa(i)),
			AssetName: aws.String("asset.bin"), AssetContent: body, AssetSHA256: aws.String(sum),
		})
		body.Close()
		if err != nil {
			b.Fatal(err)
		}
		afterPut, _ := p.PeakRSSKiB()
		out, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{
			Domain: aws.String("big"), Repository: aws.String("files"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("bench"), Package: aws.String("big"), PackageVersion: aws.String("1." + itoa(i)),
			Asset: aws.String("asset.bin"),
		})
		if err != nil {
			b.Fatal(err)
		}
		rh := sha256.New()
		n, err := io.Copy(rh, out.Asset)
		out.Asset.Close()
		if err != nil || n != size || hex.EncodeToString(rh.Sum(nil)) != sum {
			b.Fatalf("read back %d bytes, %v", n, err)
		}
		afterGet, _ := p.PeakRSSKiB()
		b.ReportMetric(float64(startKiB)/1024, "start-rss-MiB")
		b.ReportMetric(float64(afterPut)/1024, "peak-rss-after-put-MiB")
		b.ReportMetric(float64(afterGet)/1024, "peak-rss-after-get-MiB")
	}
	b.SetBytes(size)
}

func itoa(i int) string { return string(rune('0' + i%10)) }
