package blob_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/model"
)

func TestHasherKnownVectors(t *testing.T) {
	h := blob.NewHasher()
	io.Copy(h, iotest.OneByteReader(strings.NewReader("abc")))
	want := model.Hashes{
		MD5:    "900150983cd24fb0d6963f7d28e17f72",
		SHA1:   "a9993e364706816aba3e25717850c26c9cd0d89d",
		SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		SHA512: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	}
	if got := h.Sum(); got != want {
		t.Fatalf("Sum = %+v, want %+v", got, want)
	}
	if h.Size() != 3 {
		t.Fatalf("Size = %d", h.Size())
	}
	empty := blob.NewHasher().Sum()
	if empty.SHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty SHA256 = %s", empty.SHA256)
	}
}

func TestLimitReader(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 100)
	for _, tc := range []struct {
		limit  int64
		tooBig bool
	}{{100, false}, {101, false}, {99, true}, {0, true}} {
		// OneByteReader and DataErrReader exercise the edge reads.
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.DataErrReader(bytes.NewReader(data))} {
			got, err := io.ReadAll(blob.LimitReader(r, tc.limit))
			if tc.tooBig {
				if !apperr.Is(err, apperr.TooLarge) {
					t.Fatalf("limit %d: err = %v, want TooLarge", tc.limit, err)
				}
				continue
			}
			if err != nil || len(got) != 100 {
				t.Fatalf("limit %d: read %d bytes, %v", tc.limit, len(got), err)
			}
		}
	}
	got, err := io.ReadAll(blob.LimitReader(strings.NewReader(""), 0))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty input at limit 0: %q, %v", got, err)
	}
}

func TestNormalizeSHA256(t *testing.T) {
	lower := strings.Repeat("ab", 32)
	if got, err := blob.NormalizeSHA256(strings.ToUpper(lower)); err != nil || got != lower {
		t.Fatalf("upper case: %q, %v", got, err)
	}
	for _, bad := range []string{"", lower[:63], lower + "a", strings.Repeat("zz", 32), "../" + lower[3:]} {
		if _, err := blob.NormalizeSHA256(bad); !apperr.Is(err, apperr.Validation) {
			t.Fatalf("%q: err = %v, want Validation", bad, err)
		}
	}
}

func TestNamespaceEscaping(t *testing.T) {
	for _, ns := range []string{"111122223333/domain", "a b", "100%", "ümlaut", "-_Az09", "../x"} {
		esc := blob.EscapeNamespace(ns)
		if strings.Trim(esc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_%-") != "" {
			t.Errorf("%q escaped to %q: a byte outside [A-Za-z0-9_%%-]", ns, esc)
		}
		if back, ok := blob.UnescapeNamespace(esc); !ok || back != ns {
			t.Errorf("%q: escaped %q, unescaped %q %v", ns, esc, back, ok)
		}
	}
	// Names no escaping produces (another program's files or objects).
	for _, name := range []string{"", "%4", "%zz", "a%61", "a%2f", ".incoming"} {
		if ns, ok := blob.UnescapeNamespace(name); ok {
			t.Errorf("%q taken for namespace %q", name, ns)
		}
	}
}
