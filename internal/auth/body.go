package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// memBodyLimit is how much of a body is held in memory before the rest is spooled
// to a temporary file (package uploads can be large).
const memBodyLimit = 1 << 20

var emptySHA256 = hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())

// bufferBody reads r.Body to its end (at most MaxBodyBytes), returns its hex
// SHA-256 and puts an equivalent, rewound body back into r.
func (v *Verifier) bufferBody(r *http.Request) (string, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		return "", tooLarge(limit)
	}
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(r.Body, limit+1), h)
	defer r.Body.Close()

	var mem bytes.Buffer
	n, err := io.CopyN(&mem, src, memBodyLimit+1)
	if err == io.EOF {
		if n > limit {
			return "", tooLarge(limit)
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(mem.Bytes())), n
		data := mem.Bytes()
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	if err != nil {
		return "", apperr.New(apperr.Validation, "reading request body").Wrap(err)
	}

	f, err := os.CreateTemp(v.TempDir, "wharf-body-*")
	if err != nil {
		return "", apperr.New(apperr.Internal, "spooling request body").Wrap(err)
	}
	// Unlinked at once where the OS allows it, so nothing is left behind even if
	// no handler closes the body; Close removes it elsewhere.
	body := &spooledBody{f: f}
	if os.Remove(f.Name()) != nil {
		body.name = f.Name()
	}
	fail := func(e *apperr.Error) (string, error) {
		body.Close()
		return "", e
	}
	if _, err := f.Write(mem.Bytes()); err != nil {
		return fail(apperr.New(apperr.Internal, "spooling request body").Wrap(err))
	}
	rest, err := io.Copy(f, src)
	if err != nil {
		return fail(apperr.New(apperr.Validation, "reading request body").Wrap(err))
	}
	total := n + rest
	if total > limit {
		return fail(tooLarge(limit))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(apperr.New(apperr.Internal, "spooling request body").Wrap(err))
	}
	r.Body, r.ContentLength, r.GetBody = body, total, nil
	return hex.EncodeToString(h.Sum(nil)), nil
}

func tooLarge(limit int64) *apperr.Error {
	return apperr.New(apperr.TooLarge, "request body exceeds %d bytes", limit)
}

type spooledBody struct {
	f    *os.File
	name string // set when the file could not be unlinked while open
}

func (b *spooledBody) Read(p []byte) (int, error) { return b.f.Read(p) }

func (b *spooledBody) Close() error {
	err := b.f.Close()
	if b.name != "" {
		_ = os.Remove(b.name)
	}
	return err
}
