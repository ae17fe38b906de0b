package memcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// fake is an inner store counting opens; a blob named "bad" fails at EOF the
// way the envelope reader does when the digest does not match.
type fake struct {
	blobs map[string][]byte
	opens int
}

func (f *fake) Put(context.Context, string, io.Reader, string) (model.Hashes, int64, error) {
	return model.Hashes{}, 0, nil
}

var errDigest = errors.New("digest mismatch")

type failAtEOF struct{ r io.Reader }

func (f failAtEOF) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDigest
	}
	return n, err
}

func (f *fake) Open(_ context.Context, ns, key string) (io.ReadCloser, int64, error) {
	f.opens++
	b := f.blobs[key]
	var r io.Reader = bytes.NewReader(b)
	if key == "bad" {
		r = failAtEOF{r}
	}
	return io.NopCloser(r), int64(len(b)), nil
}

func read(t *testing.T, c *Cache, key string) ([]byte, error) {
	t.Helper()
	rc, size, err := c.Open(context.Background(), "ns", key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err == nil && int64(len(b)) != size {
		t.Fatalf("%s: %d bytes, size says %d", key, len(b), size)
	}
	return b, err
}

func TestCache(t *testing.T) {
	f := &fake{blobs: map[string][]byte{"small": []byte("tarball"), "big": bytes.Repeat([]byte("x"), 100), "bad": []byte("tampered")}}
	c := New(f, 1000, 50)
	for range 3 {
		if b, err := read(t, c, "small"); err != nil || string(b) != "tarball" {
			t.Fatalf("small: %q %v", b, err)
		}
	}
	if f.opens != 1 {
		t.Fatalf("small blob opened %d times, want once", f.opens)
	}
	for range 2 {
		if b, err := read(t, c, "big"); err != nil || len(b) != 100 {
			t.Fatalf("big: %d %v", len(b), err)
		}
	}
	if f.opens != 3 {
		t.Fatalf("a blob over the item limit must stream from the store every time (opens %d)", f.opens)
	}
	for range 2 {
		if _, err := read(t, c, "bad"); !errors.Is(err, errDigest) {
			t.Fatalf("a blob failing verification: %v", err)
		}
	}
	if f.opens != 5 {
		t.Fatalf("a blob that failed verification must not be cached (opens %d)", f.opens)
	}
}
