package app_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/model"
)

// A domain whose KMS key is disabled or pending deletion serves nothing and
// takes nothing; enabling the key again restores both.
func TestDomainKeyStateGatesReadsAndPublishes(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	km := kms.NewFromConfig(srv.AWSConfig())
	key := must(km.CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("locked"), EncryptionKey: key.Arn}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("locked"), Repository: aws.String("rr")}))
	body := []byte("generic bytes")
	publish := func(version string) error {
		_, err := ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("locked"), Repository: aws.String("rr"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("tool"), PackageVersion: aws.String(version),
			AssetName: aws.String("tool.bin"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))})
		return err
	}
	read := func() error {
		out, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{Domain: aws.String("locked"), Repository: aws.String("rr"),
			Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("tool"), PackageVersion: aws.String("1.0.0"), Asset: aws.String("tool.bin")})
		if err != nil {
			return err
		}
		defer out.Asset.Close()
		got, err := io.ReadAll(out.Asset)
		if err == nil && !bytes.Equal(got, body) {
			t.Fatalf("asset = %q", got)
		}
		return err
	}
	wantKeyError := func(what string, err error) {
		t.Helper()
		var ve *types.ValidationException
		if err == nil || !errors.As(err, &ve) || !strings.Contains(err.Error(), *key.Arn) {
			t.Fatalf("%s with the key unusable: %v; want a ValidationException naming the key", what, err)
		}
	}
	if err := publish("1.0.0"); err != nil {
		t.Fatal(err)
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	// The same through a package endpoint: a Maven file put and read with a token.
	tok := tokenFor(t, ca, "locked")
	jarURL := srv.URL + "/locked-" + model.DefaultAccount + "/maven/rr/com/acme/lib/1.0/lib-1.0.jar"
	endpoint := func(method string, body []byte) int {
		req, _ := http.NewRequest(method, jarURL, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := endpoint(http.MethodPut, []byte("jar bytes")); st/100 != 2 {
		t.Fatalf("maven PUT: %d", st)
	}

	must(km.DisableKey(ctx, &kms.DisableKeyInput{KeyId: key.KeyId}))
	if st := endpoint(http.MethodGet, nil); st != http.StatusBadRequest {
		t.Fatalf("maven GET with the domain key disabled: %d, want 400", st)
	}
	wantKeyError("read", read())
	wantKeyError("publish", publish("2.0.0"))
	_, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String("locked"), Repository: aws.String("rr"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("tool"), PackageVersion: aws.String("1.0.0")})
	wantKeyError("describe (sealed metadata)", err)

	must(km.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyId}))
	if err := read(); err != nil {
		t.Fatalf("read after EnableKey: %v", err)
	}
	if st := endpoint(http.MethodGet, nil); st != http.StatusOK {
		t.Fatalf("maven GET after EnableKey: %d", st)
	}
	must(km.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: key.KeyId, PendingWindowInDays: aws.Int32(7)}))
	wantKeyError("read", read())
	wantKeyError("publish", publish("2.0.0"))
	must(km.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: key.KeyId}))
	must(km.EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyId}))
	if err := publish("2.0.0"); err != nil {
		t.Fatalf("publish after the deletion was cancelled: %v", err)
	}
	if err := read(); err != nil {
		t.Fatalf("read after the deletion was cancelled: %v", err)
	}
}

// Every file wharf creates in its data directory is private to its user.
func TestDataFilesArePrivate(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("perm")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("perm"), Repository: aws.String("rr")}))
	body := []byte("private bytes")
	must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("perm"), Repository: aws.String("rr"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("p"), PackageVersion: aws.String("1"),
		AssetName: aws.String("a"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	seen := map[string]bool{}
	err := filepath.WalkDir(srv.DataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == srv.DataDir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		seen[filepath.Base(p)] = true
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: readable beyond wharf's user", p, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"wharf.db", "wharf.db-wal", "wharf.db-shm", "master.key", "blobs"} {
		if !seen[f] {
			t.Errorf("%s not found in the data directory (the walk checked %d entries)", f, len(seen))
		}
	}
	if st, err := os.Stat(filepath.Join(srv.DataDir, "wharf.db")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("wharf.db: %v %v", st.Mode(), err)
	}
}
