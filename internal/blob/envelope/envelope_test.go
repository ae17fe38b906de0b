package envelope_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blob/envelope"
	"github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/keys"
)

// keyFor gives every namespace its own key ARN, as domains have.
func keyFor(_ context.Context, ns string) (string, error) {
	return "arn:aws:kms:us-west-2:000000000000:key/" + ns, nil
}

type fixture struct {
	root string
	fs   *fs.Store
	kp   *keys.Local
	env  *envelope.Store
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{root: filepath.Join(dir, "blobs")}
	var err error
	if f.fs, err = fs.New(f.root); err != nil {
		t.Fatal(err)
	}
	if f.kp, err = keys.NewLocal(filepath.Join(dir, "data")); err != nil {
		t.Fatal(err)
	}
	f.env = envelope.New(f.fs, f.kp, keyFor)
	return f
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t testing.TB) blob.Store { return newFixture(t).env })
}

// Small chunks: the suite's sizes then span hundreds of chunks.
func TestConformanceSmallChunks(t *testing.T) {
	blobtest.Run(t, func(t testing.TB) blob.Store { return newFixture(t).env.WithChunkSize(1000) })
}

func BenchmarkStore(b *testing.B) {
	blobtest.Bench(b, func(t testing.TB) blob.Store { return newFixture(t).env })
}

const ns = "000000000000/secret-domain"

// objectFile returns the one object file under the fixture's root.
func objectFile(t *testing.T, f *fixture) string {
	t.Helper()
	var found []string
	filepath.WalkDir(f.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			found = append(found, p)
		}
		return nil
	})
	if len(found) != 1 {
		t.Fatalf("want exactly one stored file, found %v", found)
	}
	return found[0]
}

func putSmallChunks(t *testing.T, f *fixture, data []byte) (*envelope.Store, string) {
	t.Helper()
	s := f.env.WithChunkSize(1024)
	h, _, err := s.Put(context.Background(), ns, bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	return s, h.SHA256
}

// readErr opens and fully reads a blob, returning the first error.
func readErr(s blob.Store, key string) ([]byte, error) {
	rc, _, err := s.Open(context.Background(), ns, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestCiphertextOnDisk(t *testing.T) {
	f := newFixture(t)
	// Compressible, recognisable plaintext: any leak would show.
	data := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog. "), 5000)
	key := blobtest.Digests(data).SHA256
	for range 2 {
		if _, _, err := f.env.Put(context.Background(), ns, bytes.NewReader(data), ""); err != nil {
			t.Fatal(err)
		}
	}
	path := objectFile(t, f) // deduplicated: one file for two Puts
	if filepath.Base(path) != key {
		t.Fatalf("object stored as %s, want the plaintext SHA-256 %s", filepath.Base(path), key)
	}
	onDisk, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(onDisk, []byte("quick brown")) || bytes.Contains(onDisk, data[:64]) {
		t.Fatal("plaintext visible on disk")
	}
	if size, _ := f.env.Stat(context.Background(), ns, key); size != int64(len(data)) {
		t.Fatalf("Stat = %d, want plaintext size %d", size, len(data))
	}
}

func TestFlippedByteNeverReadsWrong(t *testing.T) {
	f := newFixture(t)
	data := blobtest.Data(1, 1500) // 1024-byte chunks: one full, one short final
	s, key := putSmallChunks(t, f, data)
	path := objectFile(t, f)
	orig, _ := os.ReadFile(path)
	// Every byte: header, wrapped key, each chunk, each tag.
	for i := range orig {
		bad := bytes.Clone(orig)
		bad[i] ^= 0x40
		os.WriteFile(path, bad, 0o600)
		got, err := readErr(s, key)
		if err == nil {
			t.Fatalf("flipped byte %d/%d: read succeeded (equal to original: %v)", i, len(orig), bytes.Equal(got, data))
		}
		if !errors.Is(err, blob.ErrCorrupt) {
			t.Fatalf("flipped byte %d: error %v does not wrap blob.ErrCorrupt", i, err)
		}
	}
}

func TestTruncationAndReordering(t *testing.T) {
	f := newFixture(t)
	data := blobtest.Data(2, 4096) // exactly 4 full chunks + an empty final chunk
	s, key := putSmallChunks(t, f, data)
	path := objectFile(t, f)
	orig, _ := os.ReadFile(path)
	const ct = 1024 + 16
	hdrLen := len(orig) - 4*ct - 16
	chunk := func(i int) []byte { return orig[hdrLen+i*ct : hdrLen+(i+1)*ct] }
	cases := map[string][]byte{
		"drop final chunk":         orig[:len(orig)-16],
		"cut at chunk boundary":    orig[:hdrLen+2*ct],
		"cut mid chunk":            orig[:hdrLen+2*ct+100],
		"header only":              orig[:hdrLen],
		"empty file":               nil,
		"extra bytes":              append(bytes.Clone(orig), 0),
		"duplicate chunk appended": append(bytes.Clone(orig[:len(orig)-16]), append(bytes.Clone(chunk(3)), orig[len(orig)-16:]...)...),
	}
	swapped := bytes.Clone(orig)
	copy(swapped[hdrLen:], chunk(1))
	copy(swapped[hdrLen+ct:], chunk(0))
	cases["swap chunks 0 and 1"] = swapped
	for name, content := range cases {
		os.WriteFile(path, content, 0o600)
		if _, err := readErr(s, key); !errors.Is(err, blob.ErrCorrupt) {
			t.Errorf("%s: err = %v, want blob.ErrCorrupt", name, err)
		}
	}
}

// fsPath is where the fs backend keeps an object ("/" in a namespace is
// escaped as %2F; the test namespaces have no other special characters).
func fsPath(f *fixture, ns, key string) string {
	return filepath.Join(f.root, strings.ReplaceAll(ns, "/", "%2F"), "sha256", key[:2], key[2:4], key)
}

// An object copied into another namespace is refused even when both
// namespaces share a key ARN: the namespace is bound into every chunk.
func TestObjectCopiedAcrossNamespacesRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	shared := envelope.New(f.fs, f.kp, func(context.Context, string) (string, error) { return "arn:shared", nil })
	h, _, err := shared.Put(ctx, ns, bytes.NewReader(blobtest.Data(5, 3000)), "")
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(fsPath(f, ns, h.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	other := "000000000000/other-domain"
	dst := fsPath(f, other, h.SHA256)
	os.MkdirAll(filepath.Dir(dst), 0o700)
	os.WriteFile(dst, content, 0o600)
	rc, _, err := shared.Open(ctx, other, h.SHA256)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("object copied across namespaces: err = %v, want blob.ErrCorrupt", err)
	}
}

// Two objects of one namespace swapped on disk: every chunk authenticates,
// but the plaintext digest checked at EOF does not match the key.
func TestObjectsSwappedWithinNamespaceRefused(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ha, _, err := f.env.Put(ctx, ns, bytes.NewReader(blobtest.Data(3, 3000)), "")
	if err != nil {
		t.Fatal(err)
	}
	hb, _, err := f.env.Put(ctx, ns, bytes.NewReader(blobtest.Data(4, 3000)), "")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := os.ReadFile(fsPath(f, ns, hb.SHA256))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(fsPath(f, ns, ha.SHA256), cb, 0o600)
	if _, err := readErr(f.env, ha.SHA256); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("swapped objects: err = %v, want blob.ErrCorrupt", err)
	}
}

func TestWrongKeyRefused(t *testing.T) {
	f := newFixture(t)
	data := blobtest.Data(6, 3000)
	h, _, err := f.env.Put(context.Background(), ns, bytes.NewReader(data), "")
	if err != nil {
		t.Fatal(err)
	}
	rekeyed := envelope.New(f.fs, f.kp, func(context.Context, string) (string, error) { return "arn:another-key", nil })
	if _, err := readErr(rekeyed, h.SHA256); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("read under another key ARN: %v, want blob.ErrCorrupt", err)
	}
	// A different master key (another data dir) cannot read it either.
	kp2, _ := keys.NewLocal(t.TempDir())
	if _, err := readErr(envelope.New(f.fs, kp2, keyFor), h.SHA256); !errors.Is(err, blob.ErrCorrupt) {
		t.Fatalf("read with another master key: %v, want blob.ErrCorrupt", err)
	}
}

func TestKeyForErrorStoresNothing(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("no such domain")
	s := envelope.New(f.fs, f.kp, func(context.Context, string) (string, error) { return "", boom })
	if _, _, err := s.Put(context.Background(), ns, bytes.NewReader([]byte("x")), ""); !errors.Is(err, boom) {
		t.Fatalf("Put: %v, want keyFor's error", err)
	}
}
