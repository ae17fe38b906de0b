// Package blobtest is the conformance suite every blob.Store passes: local
// disk, envelope-encrypted, and any future backend (S3). Backend-specific
// checks (files on disk, leftover temp files) stay in the backend's own tests.
package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

// Namespaces the suite writes to; backends may inspect them afterwards.
const (
	NS  = "000000000000/blobtest"
	NS2 = "111111111111/blobtest"
)

// Sizes straddle 64 KiB multiples, where chunking implementations break.
var sizes = []int{0, 1, 100, 65535, 65536, 65537, 3 * 65536, 1<<20 + 7}

// Run runs the suite; newStore returns an empty store for each subtest.
func Run(t *testing.T, newStore func(testing.TB) blob.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Dedup", testDedup},
		{"NamespaceIsolation", testNamespaces},
		{"ExpectSHA256", testExpect},
		{"NotFound", testNotFound},
		{"InvalidInput", testInvalid},
		{"Delete", testDelete},
		{"FailedReaderStoresNothing", testFailedReader},
		{"UnexpectedEOFStoresNothing", testUnexpectedEOF},
		{"LastBytesWithEOF", testLastBytesWithEOF},
		{"TooLarge", testTooLarge},
		{"CancelledContext", testCancelled},
		{"ConcurrentSameContent", testConcurrentSame},
		{"ConcurrentDifferentContent", testConcurrentDifferent},
		{"ReadWhileRewriting", testReadWhileRewriting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// Data returns n deterministic pseudo-random bytes for seed.
func Data(seed uint64, n int) []byte {
	b := make([]byte, n)
	Reader(seed, int64(n)).Read(b)
	return b
}

// Reader streams n deterministic pseudo-random bytes for seed without holding
// them; two Readers with the same arguments yield the same bytes.
func Reader(seed uint64, n int64) io.Reader {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// Digests computes the expected hashes with crypto/* directly, independently
// of blob.Hasher.
func Digests(data []byte) model.Hashes {
	m, s1, s256, s512 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data), sha512.Sum512(data)
	return model.Hashes{
		MD5: hex.EncodeToString(m[:]), SHA1: hex.EncodeToString(s1[:]),
		SHA256: hex.EncodeToString(s256[:]), SHA512: hex.EncodeToString(s512[:]),
	}
}

func sha(data []byte) string { s := sha256.Sum256(data); return hex.EncodeToString(s[:]) }

func put(t testing.TB, s blob.Store, ns string, data []byte) model.Hashes {
	t.Helper()
	h, n, err := s.Put(context.Background(), ns, bytes.NewReader(data), "")
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(data), err)
	}
	if n != int64(len(data)) {
		t.Fatalf("Put size = %d, want %d", n, len(data))
	}
	return h
}

// ReadAll opens a blob and returns its content, failing on any error,
// including one reported by the reader at the end (integrity checks).
func ReadAll(t testing.TB, s blob.Store, ns, key string) []byte {
	t.Helper()
	rc, size, err := s.Open(context.Background(), ns, key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if size != int64(len(got)) {
		t.Fatalf("Open size = %d, but read %d bytes", size, len(got))
	}
	return got
}

func wantKind(t testing.TB, err error, k apperr.Kind, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want kind %d", what, k)
	}
	if got := apperr.KindOf(err); got != k {
		t.Fatalf("%s: error %v has kind %d, want %d", what, err, got, k)
	}
}

func wantAbsent(t testing.TB, s blob.Store, ns, key string) {
	t.Helper()
	_, err := s.Stat(context.Background(), ns, key)
	wantKind(t, err, apperr.NotFound, "Stat of a blob that must be absent")
}

func testRoundTrip(t *testing.T, s blob.Store) {
	for i, n := range sizes {
		data := Data(uint64(i), n)
		got := put(t, s, NS, data)
		if want := Digests(data); got != want {
			t.Fatalf("size %d: digests %+v, want %+v", n, got, want)
		}
		if size, err := s.Stat(context.Background(), NS, got.SHA256); err != nil || size != int64(n) {
			t.Fatalf("size %d: Stat = %d, %v", n, size, err)
		}
		if back := ReadAll(t, s, NS, got.SHA256); !bytes.Equal(back, data) {
			t.Fatalf("size %d: read back different content (%d bytes)", n, len(back))
		}
		// Digests are accepted in upper case too.
		if _, err := s.Stat(context.Background(), NS, strings.ToUpper(got.SHA256)); err != nil {
			t.Fatalf("Stat with upper-case digest: %v", err)
		}
	}
}

func testDedup(t *testing.T, s blob.Store) {
	data := Data(7, 200_000)
	a := put(t, s, NS, data)
	b := put(t, s, NS, data)
	if a != b {
		t.Fatalf("same content, different digests: %+v vs %+v", a, b)
	}
	if !bytes.Equal(ReadAll(t, s, NS, a.SHA256), data) {
		t.Fatal("content changed after second Put")
	}
	// One object: a single Delete removes it.
	if err := s.Delete(context.Background(), NS, a.SHA256); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, NS, a.SHA256)
}

func testNamespaces(t *testing.T, s blob.Store) {
	data := Data(8, 1000)
	h := put(t, s, NS, data)
	wantAbsent(t, s, NS2, h.SHA256)
	_, _, err := s.Open(context.Background(), NS2, h.SHA256)
	wantKind(t, err, apperr.NotFound, "Open in another namespace")
	put(t, s, NS2, data)
	if err := s.Delete(context.Background(), NS2, h.SHA256); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ReadAll(t, s, NS, h.SHA256), data) {
		t.Fatal("Delete in one namespace affected another")
	}
	// Namespaces that differ only in characters an escaping might merge.
	odd := []string{"a/b", "a%2Fb", "a_b", "a.b", "../a", "a/../b"}
	for i, ns := range odd {
		put(t, s, ns, Data(uint64(100+i), 10))
	}
	for i, ns := range odd {
		for j := range odd {
			_, err := s.Stat(context.Background(), ns, sha(Data(uint64(100+j), 10)))
			if (i == j) != (err == nil) {
				t.Fatalf("namespace %q, blob of %q: Stat err = %v", ns, odd[j], err)
			}
		}
	}
}

func testExpect(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data, other := Data(9, 5000), Data(10, 5000)
	// Matching (in either case) stores.
	h, _, err := s.Put(ctx, NS, bytes.NewReader(data), strings.ToUpper(sha(data)))
	if err != nil || h.SHA256 != sha(data) {
		t.Fatalf("Put with matching expectation: %+v, %v", h, err)
	}
	// Mismatch stores nothing.
	_, _, err = s.Put(ctx, NS, bytes.NewReader(other), sha(data[:10]))
	wantKind(t, err, apperr.Validation, "Put with mismatching expectation")
	wantAbsent(t, s, NS, sha(other))
	wantAbsent(t, s, NS, sha(data[:10]))
	// Malformed expectation.
	_, _, err = s.Put(ctx, NS, bytes.NewReader(other), "not-a-digest")
	wantKind(t, err, apperr.Validation, "Put with malformed expectation")
	wantAbsent(t, s, NS, sha(other))
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := sha([]byte("never stored"))
	_, _, err := s.Open(ctx, NS, key)
	wantKind(t, err, apperr.NotFound, "Open of absent blob")
	_, err = s.Stat(ctx, NS, key)
	wantKind(t, err, apperr.NotFound, "Stat of absent blob")
}

func testInvalid(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, key := range []string{"", "abc", "../../etc/passwd", strings.Repeat("g", 64), strings.Repeat("a", 65)} {
		_, _, err := s.Open(ctx, NS, key)
		wantKind(t, err, apperr.Validation, fmt.Sprintf("Open(%q)", key))
		_, err = s.Stat(ctx, NS, key)
		wantKind(t, err, apperr.Validation, fmt.Sprintf("Stat(%q)", key))
		wantKind(t, s.Delete(ctx, NS, key), apperr.Validation, fmt.Sprintf("Delete(%q)", key))
	}
	_, _, err := s.Put(ctx, "", bytes.NewReader([]byte("x")), "")
	wantKind(t, err, apperr.Validation, "Put with empty namespace")
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := Data(11, 3000)
	h := put(t, s, NS, data)
	keep := put(t, s, NS, Data(12, 3000))
	if err := s.Delete(ctx, NS, h.SHA256); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, NS, h.SHA256)
	_, _, err := s.Open(ctx, NS, h.SHA256)
	wantKind(t, err, apperr.NotFound, "Open after Delete")
	if err := s.Delete(ctx, NS, h.SHA256); err != nil {
		t.Fatalf("second Delete: %v (deletes are idempotent)", err)
	}
	ReadAll(t, s, NS, keep.SHA256)
	// Content can be stored again after deletion.
	put(t, s, NS, data)
	if !bytes.Equal(ReadAll(t, s, NS, h.SHA256), data) {
		t.Fatal("re-put after Delete reads back wrong")
	}
}

var errBoom = errors.New("reader failed")

type failingReader struct {
	r io.Reader
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errBoom
	}
	return n, err
}

func testFailedReader(t *testing.T, s blob.Store) {
	data := Data(13, 150_000)
	_, _, err := s.Put(context.Background(), NS, &failingReader{bytes.NewReader(data)}, "")
	if !errors.Is(err, errBoom) {
		t.Fatalf("Put from failing reader: %v, want the reader's error", err)
	}
	wantAbsent(t, s, NS, sha(data))
}

// shortReader yields data, then fails with err instead of io.EOF: what
// net/http's body does when the peer sends fewer bytes than its Content-Length
// (io.ErrUnexpectedEOF) or resets the connection.
type shortReader struct {
	r   io.Reader
	err error
}

func (f *shortReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// testUnexpectedEOF: a stream that ends with io.ErrUnexpectedEOF is a failed
// read, never a short but complete blob, wherever in the chunk layout it ends
// (mid-chunk, exactly on a boundary, before any byte).
func testUnexpectedEOF(t *testing.T, s blob.Store) {
	for _, n := range []int{0, 1, 65535, 65536, 65537, 150_000} {
		data := Data(uint64(n)+17, n)
		_, _, err := s.Put(context.Background(), NS, &shortReader{bytes.NewReader(data), io.ErrUnexpectedEOF}, "")
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Put of %d bytes ending in ErrUnexpectedEOF: %v, want that error", n, err)
		}
		wantAbsent(t, s, NS, sha(data))
	}
}

// testLastBytesWithEOF: a reader that returns its last bytes together with
// io.EOF (as streaming bodies do) stores the whole content, also when those
// bytes end exactly on a chunk boundary.
func testLastBytesWithEOF(t *testing.T, s blob.Store) {
	for _, n := range sizes {
		data := Data(uint64(n)+23, n)
		h, size, err := s.Put(context.Background(), NS, iotest.DataErrReader(bytes.NewReader(data)), "")
		if err != nil || size != int64(n) || h.SHA256 != sha(data) {
			t.Fatalf("Put of %d bytes: %d, %v", n, size, err)
		}
		if got := ReadAll(t, s, NS, h.SHA256); !bytes.Equal(got, data) {
			t.Fatalf("%d bytes read back as %d", n, len(got))
		}
	}
}

func testTooLarge(t *testing.T, s blob.Store) {
	ctx := context.Background()
	data := Data(14, 100_001)
	_, _, err := s.Put(ctx, NS, blob.LimitReader(bytes.NewReader(data), 100_000), "")
	wantKind(t, err, apperr.TooLarge, "Put over the limit")
	wantAbsent(t, s, NS, sha(data))
	wantAbsent(t, s, NS, sha(data[:100_000]))
	// Exactly at the limit is fine.
	h, n, err := s.Put(ctx, NS, blob.LimitReader(bytes.NewReader(data[:100_000]), 100_000), "")
	if err != nil || n != 100_000 || h.SHA256 != sha(data[:100_000]) {
		t.Fatalf("Put at the limit: %d, %v", n, err)
	}
}

func testCancelled(t *testing.T, s blob.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	data := Data(15, 500_000)
	// Cancel after the first read, mid-stream.
	r := &hookReader{r: bytes.NewReader(data), after: func() { cancel() }}
	_, _, err := s.Put(ctx, NS, r, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with cancelled context: %v, want context.Canceled", err)
	}
	wantAbsent(t, s, NS, sha(data))
}

type hookReader struct {
	r     io.Reader
	after func()
	once  sync.Once
}

func (h *hookReader) Read(p []byte) (int, error) {
	if len(p) > 1000 {
		p = p[:1000]
	}
	n, err := h.r.Read(p)
	h.once.Do(h.after)
	return n, err
}

func testConcurrentSame(t *testing.T, s blob.Store) {
	data := Data(16, 300_000)
	want := Digests(data)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			h, _, err := s.Put(context.Background(), NS, bytes.NewReader(data), want.SHA256)
			if err == nil && h != want {
				err = fmt.Errorf("digests %+v, want %+v", h, want)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(ReadAll(t, s, NS, want.SHA256), data) {
		t.Fatal("concurrent Puts of one content read back wrong")
	}
}

func testConcurrentDifferent(t *testing.T, s blob.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			data := Data(uint64(1000+i), 70_000+i)
			ns := []string{NS, NS2}[i%2]
			h, _, err := s.Put(context.Background(), ns, bytes.NewReader(data), "")
			if err != nil {
				errs <- err
				return
			}
			rc, _, err := s.Open(context.Background(), ns, h.SHA256)
			if err != nil {
				errs <- err
				return
			}
			defer rc.Close()
			got, err := io.ReadAll(rc)
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("blob %d read back wrong", i)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// testReadWhileRewriting re-puts a blob while readers stream it: every read
// must see the whole, correct content.
func testReadWhileRewriting(t *testing.T, s blob.Store) {
	data := Data(17, 200_000)
	key := put(t, s, NS, data).SHA256
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 4 {
		wg.Go(func() {
			for range 4 {
				if _, _, err := s.Put(context.Background(), NS, bytes.NewReader(data), ""); err != nil {
					errs <- err
				}
			}
		})
		wg.Go(func() {
			for range 4 {
				rc, _, err := s.Open(context.Background(), NS, key)
				if err != nil {
					errs <- err
					return
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err == nil && !bytes.Equal(got, data) {
					err = errors.New("reader saw different content during a rewrite")
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// Bench measures streaming a 64 MiB blob in and out. B/op shows whether an
// implementation buffers whole blobs (it should stay far below 64 MiB).
func Bench(b *testing.B, newStore func(testing.TB) blob.Store) {
	const size = 64 << 20
	b.Run("Put64MiB", func(b *testing.B) {
		s := newStore(b)
		b.SetBytes(size)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, n, err := s.Put(context.Background(), NS, Reader(uint64(i), size), ""); err != nil || n != size {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("Open64MiB", func(b *testing.B) {
		s := newStore(b)
		h, _, err := s.Put(context.Background(), NS, Reader(1, size), "")
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			rc, _, err := s.Open(context.Background(), NS, h.SHA256)
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
				b.Fatal(n, err)
			}
			rc.Close()
		}
	})
}
