// Package replicas runs wharf in its scale-out shape: two stateless replicas on
// one PostgreSQL database and one shared blob directory, and shows that they act
// as one service.
package replicas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
)

func dsn(t *testing.T) string {
	if d := os.Getenv("WHARF_TEST_POSTGRES_DSN"); d != "" {
		return d
	}
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatalf("test PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.DSN("postgres")
}

func TestTwoReplicasOnePostgres(t *testing.T) {
	db := dsn(t)
	shared := t.TempDir() // blobs and the local key: what S3 and KMS are to a real deployment
	opts := apptest.Options{DataDir: shared, Mutate: func(c *config.Config) { c.Database = db }}
	a, b := apptest.Start(t, opts), apptest.Start(t, opts)
	ctx := context.Background()
	ca, cb := a.CodeArtifact(), b.CodeArtifact()

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("ha")})
	must(err)
	_, err = cb.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("ha"), Repository: aws.String("files")})
	must(err)
	d, err := ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("ha")})
	must(err)
	if d.Domain.RepositoryCount != 1 {
		t.Fatalf("replica A does not see B's repository: %d", d.Domain.RepositoryCount)
	}

	// An asset published through A is served by B.
	body := bytes.Repeat([]byte("replicated "), 5000)
	sum := sha256.Sum256(body)
	_, err = ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("ha"), Repository: aws.String("files"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("n"), Package: aws.String("p"), PackageVersion: aws.String("1.0"),
		AssetName: aws.String("f.bin"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(hex.EncodeToString(sum[:]))})
	must(err)
	got, err := cb.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{Domain: aws.String("ha"), Repository: aws.String("files"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("n"), Package: aws.String("p"), PackageVersion: aws.String("1.0"), Asset: aws.String("f.bin")})
	must(err)
	data, err := io.ReadAll(got.Asset)
	got.Asset.Close()
	if err != nil || !bytes.Equal(data, body) {
		t.Fatalf("asset through replica B: %d bytes, %v", len(data), err)
	}

	// A token issued by A is honoured by B.
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("ha")})
	must(err)
	req, _ := http.NewRequest(http.MethodGet, b.URL+"/ha-000000000000/pypi/files/simple/", nil)
	req.Header.Set("Authorization", "Bearer "+aws.ToString(tok.AuthorizationToken))
	resp, err := http.DefaultClient.Do(req)
	must(err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token from A at B: %d", resp.StatusCode)
	}

	// Concurrent creates across replicas: one winner.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := ca
			if i%2 == 1 {
				c = cb
			}
			_, errs[i] = c.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("ha"), Repository: aws.String("contended")})
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		var ce *types.ConflictException
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &ce):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d winners across replicas", wins)
	}
}
