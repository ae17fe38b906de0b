package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// DefaultMaxUnsignedBody bounds how much of a body Verify reads before the
// signature is known to be good: a request whose signature covers the body's own
// hash (no usable X-Amz-Content-Sha256) must be hashed to be verified, and that
// hashing happens in memory, never on disk. Control-plane JSON, STS and KMS bodies
// are far below it; package uploads carry their hash in the header.
const DefaultMaxUnsignedBody int64 = 1 << 20

var emptySHA256 = hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())

// errBodyOverUnsignedLimit is returned by readSmallBody when the body is longer
// than the bound: the caller decides what that means for the request.
var errBodyOverUnsignedLimit = apperr.New(apperr.TooLarge, "request body too large to verify")

// bufferPrefix reads r.Body into memory up to limit bytes. complete reports that
// the body ended within the limit; then r.Body is replaced by an equivalent,
// rewound reader. Otherwise data holds the first limit+1 bytes and the rest is
// still unread in r.Body: nothing past limit+1 bytes is ever read here.
func bufferPrefix(r *http.Request, limit int64) (data []byte, complete bool, err error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true, nil
	}
	var mem bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		mem.Grow(int(r.ContentLength))
	}
	n, err := mem.ReadFrom(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, apperr.New(apperr.Validation, "reading request body").Wrap(err)
	}
	data = mem.Bytes()
	if n > limit {
		return data, false, nil
	}
	r.Body.Close()
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(data)), n
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	return data, true, nil
}

// readSmallBody reads all of r.Body if it holds at most limit bytes, returns its
// hex SHA-256 and puts an equivalent, rewound body back into r. A longer body is
// not read past limit+1 bytes (errBodyOverUnsignedLimit), so an unauthenticated
// caller costs at most limit bytes of memory and nothing on disk.
func readSmallBody(r *http.Request, limit int64) (string, error) {
	if r.ContentLength > limit {
		return "", errBodyOverUnsignedLimit
	}
	if r.Body == nil || r.Body == http.NoBody { // every GET: nothing to hash
		return emptySHA256, nil
	}
	data, complete, err := bufferPrefix(r, limit)
	if err != nil {
		return "", err
	}
	if !complete {
		return "", errBodyOverUnsignedLimit
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// discardBody releases a refused request's body: at most a bounded amount is
// drained (so a small body leaves the connection reusable) and the body is
// closed, which makes net/http close the connection rather than read a large
// remainder.
func discardBody(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody {
		return
	}
	_, _ = io.CopyN(io.Discard, r.Body, 64<<10)
	_ = r.Body.Close()
}

// verifyingBody hands a signed body to the handler while it streams, and holds it
// to the SHA-256 the signature covers: the read that reaches the end returns a
// validation error instead of io.EOF when the bytes differ, and a body longer than
// limit fails at the first byte over it. A handler that stores what it reads only
// on a clean io.EOF therefore never keeps a byte the signer did not send.
type verifyingBody struct {
	rc    io.ReadCloser
	h     hash.Hash
	want  []byte // lowercase hex
	n     int64
	limit int64
	err   error // sticky
}

func newVerifyingBody(rc io.ReadCloser, wantHex string, limit int64) *verifyingBody {
	return &verifyingBody{rc: rc, h: sha256.New(), want: []byte(wantHex), limit: limit}
}

func (b *verifyingBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	// Read one byte past the limit at most, to tell "exactly limit" from "over".
	if room := b.limit + 1 - b.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	b.h.Write(p[:n])
	if b.n > b.limit {
		b.err = tooLarge(b.limit)
		return 0, b.err
	}
	if err == io.EOF {
		if !hmac.Equal([]byte(hex.EncodeToString(b.h.Sum(nil))), b.want) {
			b.err = payloadMismatch()
			return 0, b.err
		}
		b.err = io.EOF
	}
	return n, err
}

func (b *verifyingBody) Close() error { return b.rc.Close() }

func payloadMismatch() *apperr.Error {
	// The signature is good: it covers the declared hash. It is the body that does
	// not match its own integrity claim (PublishPackageVersion's assetSHA256
	// travels in this header), so this is a validation error.
	return apperr.Validationf("The provided 'x-amz-content-sha256' header does not match what was computed from the request body.")
}

func tooLarge(limit int64) *apperr.Error {
	return apperr.New(apperr.TooLarge, "request body exceeds %d bytes", limit)
}
