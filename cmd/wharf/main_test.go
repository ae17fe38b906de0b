package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

func TestCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "wharf v") {
		t.Fatalf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"bogus"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"serve", "--listen", "nonsense"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "HOST:PORT") {
		t.Fatalf("bad serve flags: %d %q", code, errb.String())
	}
}

func TestKeysCreate(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "create", "--data-dir", dir, "--account", "111122223333", "--user", "ci"}, &out, &errb); code != 0 {
		t.Fatalf("keys create: %d %s", code, errb.String())
	}
	m := regexp.MustCompile(`aws_access_key_id = (\S+)\naws_secret_access_key = (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "[ci]") {
		t.Fatalf("output:\n%s", out.String())
	}
	// Stored sealed: the database alone does not hold the secret.
	raw, err := sqlite.Open(context.Background(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	rk, err := raw.GetAccessKey(context.Background(), m[1])
	raw.Close()
	if err != nil || strings.Contains(rk.SecretAccessKey, m[2]) {
		t.Fatalf("stored secret %q (%v) holds the plaintext", rk.SecretAccessKey, err)
	}
	st, err := app.OpenStore(context.Background(), &config.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := st.GetAccessKey(context.Background(), m[1])
	if err != nil || k.SecretAccessKey != m[2] || k.Principal.ARN != "arn:aws:iam::111122223333:user/ci" {
		t.Fatalf("stored key %+v %v", k, err)
	}
	// The key's user is an IAM user with no policies: it may do nothing yet.
	users := &iam.Service{Store: st}
	if u, err := users.GetUser(context.Background(), "111122223333", "ci"); err != nil || u.Arn != k.Principal.ARN {
		t.Fatalf("IAM user: %+v %v", u, err)
	}
	if names, err := users.ListInlinePolicies(context.Background(), "111122223333", "user", "ci"); err != nil || len(names) != 0 {
		t.Fatalf("policies of a plain key's user: %v %v", names, err)
	}
	st.Close()

	// --policy gives the user an identity policy; a malformed one is refused.
	out.Reset()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:*","Resource":"*"}]}`
	if code := run([]string{"keys", "create", "--data-dir", dir, "--account", "111122223333", "--user", "admin", "--policy", doc}, &out, &errb); code != 0 {
		t.Fatalf("keys create --policy: %d %s", code, errb.String())
	}
	st2, err := sqlite.Open(context.Background(), filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	p, err := (&iam.Service{Store: st2}).GetInlinePolicy(context.Background(), "111122223333", "user", "admin", "wharf-keys-create")
	if err != nil || p.PolicyDocument != doc {
		t.Fatalf("inline policy: %+v %v", p, err)
	}
	errb.Reset()
	if code := run([]string{"keys", "create", "--data-dir", dir, "--account", "111122223333", "--user", "x", "--policy", `{"Statement":[]}`}, &out, &errb); code != 2 {
		t.Fatalf("malformed policy accepted: %d %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"keys", "create", "--data-dir", dir, "--account", "12", "--user", "ci"}, &out, &errb); code != 2 {
		t.Fatalf("bad account accepted: %d", code)
	}
}

// TestKeysCreateWithDatabase: with --database the user and key land in that
// store (the one `wharf serve --database` reads), not in a SQLite file of the
// data directory.
func TestKeysCreateWithDatabase(t *testing.T) {
	db := os.Getenv("WHARF_TEST_POSTGRES_DSN")
	if db == "" {
		srv, err := pgtest.Start(context.Background())
		if err != nil {
			t.Fatalf("test PostgreSQL: %v", err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		db = srv.DSN("postgres")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"keys", "create", "--data-dir", dir, "--database", db, "--account", "111122223333", "--user", "ci"}, &out, &errb); code != 0 {
		t.Fatalf("keys create --database: %d %s", code, errb.String())
	}
	m := regexp.MustCompile(`aws_access_key_id = (\S+)\naws_secret_access_key = (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "wharf.db")); !os.IsNotExist(err) {
		t.Fatalf("keys create --database made a SQLite file in the data directory (%v)", err)
	}
	st, err := app.OpenStore(context.Background(), &config.Config{DataDir: dir, Database: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := st.GetAccessKey(context.Background(), m[1])
	if err != nil || k.SecretAccessKey != m[2] || k.Principal.ARN != "arn:aws:iam::111122223333:user/ci" {
		t.Fatalf("key in the configured store: %+v %v", k, err)
	}
	users := &iam.Service{Store: st}
	if names, err := users.ListInlinePolicies(context.Background(), "111122223333", "user", "ci"); err != nil || len(names) != 0 {
		t.Fatalf("policies of a plain key's user: %v %v", names, err)
	}
}
