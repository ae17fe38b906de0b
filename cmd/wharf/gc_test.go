package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	blobfs "github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

// TestGCCommand: `wharf gc` removes an old blob nothing references from the
// data directory and keeps one a version references.
func TestGCCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	disk, err := blobfs.New(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ns := "000000000000/corp"
	orphan, _, err := disk.Put(ctx, ns, strings.NewReader("left behind by a refused publish"), "")
	if err != nil {
		t.Fatal(err)
	}
	kept, _, err := disk.Put(ctx, ns, strings.NewReader("a version's tarball"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDomain(ctx, model.Domain{Owner: "000000000000", Name: "corp", Region: "us-east-1", EncryptionKey: "k", Status: "Active"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateRepository(ctx, model.Repository{DomainOwner: "000000000000", DomainName: "corp", Name: "app", AdministratorAccount: "000000000000", Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	k := model.PackageKey{DomainOwner: "000000000000", DomainName: "corp", Repository: "app", Format: model.FormatNpm, Name: "p"}
	if err := st.CreateVersion(ctx, model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Block}},
		model.PackageVersion{PackageKey: k, Version: "1.0.0", Status: model.StatusPublished, Revision: "r"},
		[]model.Asset{{Name: "p-1.0.0.tgz", Size: 19, Hashes: kept}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	path := func(sha string) string {
		return filepath.Join(dir, "blobs", "000000000000%2Fcorp", "sha256", sha[0:2], sha[2:4], sha)
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, h := range []model.Hashes{orphan, kept} {
		if err := os.Chtimes(path(h.SHA256), old, old); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"gc", "--data-dir", dir}, &out, &errb); code != 0 {
		t.Fatalf("wharf gc: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "removed 1 unreferenced blobs of 2 scanned") {
		t.Errorf("wharf gc printed %q", out.String())
	}
	if _, err := os.Stat(path(orphan.SHA256)); !os.IsNotExist(err) {
		t.Errorf("the orphan blob is still in the data directory (%v)", err)
	}
	if _, err := os.Stat(path(kept.SHA256)); err != nil {
		t.Errorf("the referenced blob went: %v", err)
	}
	if code := run([]string{"gc", "--data-dir", dir, "--grace", "1s", "extra"}, &out, &errb); code != 2 {
		t.Errorf("wharf gc with an argument: exit %d; want 2", code)
	}
}
