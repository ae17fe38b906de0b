package fs_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blob/fs"
)

func newStore(t testing.TB) blob.Store {
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) { blobtest.Run(t, newStore) }

func TestLister(t *testing.T) {
	blobtest.RunLister(t, func(tb testing.TB) blob.Backend { return newStore(tb).(*fs.Store) }, 1<<20)
}

func BenchmarkStore(b *testing.B) { blobtest.Bench(b, newStore) }

// files lists regular files under root, relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayoutAndDedupOnDisk(t *testing.T) {
	root := t.TempDir()
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	data := blobtest.Data(1, 10_000)
	for range 3 {
		if _, _, err := s.Put(context.Background(), "000000000000/my-domain", bytes.NewReader(data), ""); err != nil {
			t.Fatal(err)
		}
	}
	key := blobtest.Digests(data).SHA256
	want := filepath.Join("000000000000%2Fmy-domain", "sha256", key[:2], key[2:4], key)
	got := files(t, root)
	if len(got) != 1 || got[0] != want {
		t.Fatalf("files on disk = %v, want exactly [%s]", got, want)
	}
	if onDisk, _ := os.ReadFile(filepath.Join(root, want)); !bytes.Equal(onDisk, data) {
		t.Fatal("file content differs from the blob")
	}
}

// TestFailuresLeaveNoFiles: failed Puts (mismatch, reader error, too large)
// leave neither an object nor a temp file behind.
func TestFailuresLeaveNoFiles(t *testing.T) {
	root := t.TempDir()
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := blobtest.Data(2, 100_000)
	if _, _, err := s.Put(ctx, "ns", bytes.NewReader(data), strings.Repeat("0", 64)); err == nil {
		t.Fatal("mismatch accepted")
	}
	if _, _, err := s.Put(ctx, "ns", blob.LimitReader(bytes.NewReader(data), 10), ""); err == nil {
		t.Fatal("oversize accepted")
	}
	if got := files(t, root); len(got) != 0 {
		t.Fatalf("files left behind: %v", got)
	}
}

func TestNamespaceCannotEscapeRoot(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"..", "../x", ".incoming", "/abs", "a/../../b"} {
		if _, _, err := s.Put(context.Background(), ns, bytes.NewReader([]byte(ns)), ""); err != nil {
			t.Fatalf("Put(%q): %v", ns, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Fatalf("store wrote outside its root: %v", entries)
	}
	for _, f := range files(t, root) {
		if strings.HasPrefix(f, ".incoming") {
			t.Fatalf("object stored in the temp directory: %s", f)
		}
	}
}

func TestStaleTempFilesRemovedOnOpen(t *testing.T) {
	root := t.TempDir()
	if _, err := fs.New(root); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, ".incoming", "put-stale")
	fresh := filepath.Join(root, ".incoming", "put-fresh")
	os.WriteFile(stale, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("x"), 0o600)
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(stale, old, old)
	if _, err := fs.New(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh temp file (maybe another writer's) removed: %v", err)
	}
}

// TestListAndRestore: the collector's view of the disk (namespaces, objects,
// when each was last stored), and a Put of content already present counting
// as storing it again.
func TestListAndRestore(t *testing.T) {
	ctx := context.Background()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := "000000000000/my-domain"
	a, _, err := s.Put(ctx, ns, strings.NewReader("alpha"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, "other", strings.NewReader("beta"), ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.Namespaces(ctx)
	if err != nil || len(got) != 2 || got[0] != ns || got[1] != "other" {
		t.Fatalf("Namespaces = %q, %v; want [%s other]", got, err, ns)
	}
	// Age the object, then store the same content again.
	p := filepath.Join(s.Root(), "000000000000%2Fmy-domain", "sha256", a.SHA256[0:2], a.SHA256[2:4], a.SHA256)
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	list := func() map[string]time.Time {
		out := map[string]time.Time{}
		if err := s.List(ctx, ns, func(key string, stored time.Time) error { out[key] = stored; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if l := list(); len(l) != 1 || !l[a.SHA256].Equal(old) {
		t.Fatalf("List = %v; want only %s stored at %v", l, a.SHA256, old)
	}
	if _, _, err := s.Put(ctx, ns, strings.NewReader("alpha"), ""); err != nil {
		t.Fatal(err)
	}
	if l := list(); !l[a.SHA256].After(old.Add(time.Hour)) {
		t.Errorf("a Put of stored content left its stored time at %v", l[a.SHA256])
	}
	if err := s.List(ctx, "never-used", func(string, time.Time) error { t.Error("object in an unused namespace"); return nil }); err != nil {
		t.Errorf("List of an unused namespace: %v", err)
	}
}
