package auth

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

func TestBootstrapGeneratesWritesAndReloads(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	keys := newFakeKeys()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))

	k, path, err := Bootstrap(ctx, keys, dir, "", "", logger)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, CredentialsFile) {
		t.Fatalf("path %q", path)
	}
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(k.AccessKeyID) || len(k.SecretAccessKey) != 40 {
		t.Fatalf("key %q / secret of %d characters", k.AccessKeyID, len(k.SecretAccessKey))
	}
	if k.Principal != (model.Principal{Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", UserID: "000000000000"}) {
		t.Fatalf("principal %+v", k.Principal)
	}
	stored, err := keys.GetAccessKey(ctx, k.AccessKeyID)
	if err != nil || stored.SecretAccessKey != k.SecretAccessKey || stored.CreatedAt.IsZero() {
		t.Fatalf("stored %+v, %v", stored, err)
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "[wharf]\naws_access_key_id = "+k.AccessKeyID+"\naws_secret_access_key = "+k.SecretAccessKey+"\n") {
		t.Fatalf("file:\n%s", data)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}

	out := logs.String()
	if !strings.Contains(out, path) || !strings.Contains(out, k.AccessKeyID) {
		t.Fatalf("log does not say where the key is:\n%s", out)
	}
	if strings.Contains(out, k.SecretAccessKey) {
		t.Fatalf("log contains the secret:\n%s", out)
	}

	// Second start: same key, from the file, nothing rewritten or re-stored.
	puts := keys.puts
	k2, path2, err := Bootstrap(ctx, keys, dir, "", "", logger)
	if err != nil || k2.AccessKeyID != k.AccessKeyID || k2.SecretAccessKey != k.SecretAccessKey || path2 != path {
		t.Fatalf("second start: %+v %q %v", k2, path2, err)
	}
	if keys.puts != puts {
		t.Fatal("second start wrote the key again")
	}
	if data2, _ := os.ReadFile(path); !bytes.Equal(data, data2) {
		t.Fatal("second start rewrote the file")
	}
	if strings.Contains(logs.String(), k.SecretAccessKey) {
		t.Fatal("log contains the secret")
	}

	// A fresh store (say, a new database) over the same data dir gets the file's key.
	fresh := newFakeKeys()
	k3, _, err := Bootstrap(ctx, fresh, dir, "", "", nil)
	if err != nil || k3.AccessKeyID != k.AccessKeyID {
		t.Fatalf("fresh store: %+v %v", k3, err)
	}
	if got, err := fresh.GetAccessKey(ctx, k.AccessKeyID); err != nil || got.SecretAccessKey != k.SecretAccessKey {
		t.Fatalf("fresh store holds %+v, %v", got, err)
	}
}

func TestBootstrapFromEnvironment(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	keys := newFakeKeys()
	var logs bytes.Buffer
	k, path, err := Bootstrap(ctx, keys, dir, "AKIAENVIRONMENT00001", "env-secret-value", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if path != "" || k.AccessKeyID != "AKIAENVIRONMENT00001" || k.Principal.ARN != "arn:aws:iam::000000000000:root" {
		t.Fatalf("%+v %q", k, path)
	}
	if got, err := keys.GetAccessKey(ctx, "AKIAENVIRONMENT00001"); err != nil || got.SecretAccessKey != "env-secret-value" {
		t.Fatalf("stored %+v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, CredentialsFile)); !os.IsNotExist(err) {
		t.Fatalf("environment credentials wrote a file: %v", err)
	}
	if strings.Contains(logs.String(), "env-secret-value") {
		t.Fatal("log contains the secret")
	}

	// Upsert: a changed secret replaces the stored one; an unchanged one is not rewritten.
	if _, _, err := Bootstrap(ctx, keys, dir, "AKIAENVIRONMENT00001", "rotated", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := keys.GetAccessKey(ctx, "AKIAENVIRONMENT00001"); got.SecretAccessKey != "rotated" {
		t.Fatalf("secret not updated: %q", got.SecretAccessKey)
	}
	puts := keys.puts
	if _, _, err := Bootstrap(ctx, keys, dir, "AKIAENVIRONMENT00001", "rotated", nil); err != nil || keys.puts != puts {
		t.Fatalf("idempotent start: %v, puts %d -> %d", err, puts, keys.puts)
	}

	if _, _, err := Bootstrap(ctx, keys, dir, "AKIAONLYTHEID0000001", "", nil); err == nil {
		t.Fatal("only a key id set: no error")
	}
}

func TestBootstrapLoadsExistingFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, CredentialsFile)
	content := "[default]\naws_access_key_id = AKIAOTHERPROFILE0001\naws_secret_access_key = other\n\n" +
		"; written by hand\n[wharf]\naws_access_key_id=AKIAHANDWRITTEN00001\naws_secret_access_key =  hand/secret+x \n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := newFakeKeys()
	k, got, err := Bootstrap(ctx, keys, dir, "", "", nil)
	if err != nil || got != path || k.AccessKeyID != "AKIAHANDWRITTEN00001" || k.SecretAccessKey != "hand/secret+x" {
		t.Fatalf("%+v %q %v", k, got, err)
	}
	if _, err := keys.GetAccessKey(ctx, "AKIAHANDWRITTEN00001"); err != nil {
		t.Fatal(err)
	}

	// A file without the profile is an error, not silently replaced.
	os.WriteFile(path, []byte("[default]\naws_access_key_id = x\n"), 0o600)
	if _, _, err := Bootstrap(ctx, newFakeKeys(), dir, "", "", nil); err == nil {
		t.Fatal("unusable credentials file accepted")
	}
	if data, _ := os.ReadFile(path); string(data) != "[default]\naws_access_key_id = x\n" {
		t.Fatal("unusable credentials file was overwritten")
	}
}

// The generated file is usable by the AWS SDKs' shared-credentials loader: the aws
// CLI signs with it, and Verify accepts the signature.
func TestBootstrapFileWorksWithAWSCLI(t *testing.T) {
	awsCLI(t)
	ctx := context.Background()
	dir := t.TempDir()
	keys := newFakeKeys()
	k, path, err := Bootstrap(ctx, keys, dir, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, rc := verifyServer(t, realClockVerifier(keys), nil)
	home := t.TempDir()
	cmd := execAWS(t, "codeartifact", "list-domains", "--endpoint-url", srv.URL, "--region", "us-east-1")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "PYENV_ROOT=" + os.Getenv("PYENV_ROOT"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + path, "AWS_PROFILE=" + CredentialsProfile,
		"AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true",
	}
	out, _ := cmd.CombinedOutput()
	s := rc.last(t)
	if s.err != nil || s.res.AccessKeyID != k.AccessKeyID || s.res.Principal.ARN != "arn:aws:iam::000000000000:root" {
		t.Fatalf("verify: %+v %v (CLI: %s)", s.res, s.err, out)
	}
}

// Processes starting together over one data directory agree on one key: the file
// is linked into place only if absent, and the losers read the winner's.
func TestBootstrapConcurrentStartsAgree(t *testing.T) {
	dir := t.TempDir()
	keys := newFakeKeys()
	ids := make(chan string, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := Bootstrap(context.Background(), keys, dir, "", "", nil)
			if err != nil {
				t.Error(err)
			}
			ids <- k.AccessKeyID
		}()
	}
	wg.Wait()
	close(ids)
	first := <-ids
	for id := range ids {
		if id != first {
			t.Fatalf("concurrent starts got %s and %s", first, id)
		}
	}
	id, _, err := readCredentialsFile(filepath.Join(dir, CredentialsFile))
	if err != nil || id != first {
		t.Fatalf("file holds %q (%v), starts got %q", id, err, first)
	}
}
