package endpoints

import (
	"io"
	"net/http"
	"strconv"

	"github.com/wharf-dev/wharf/internal/coalesce"
	"github.com/wharf-dev/wharf/internal/packages"
)

// WriteAsset answers with an opened package asset, as every format serves its
// files: the given Content-Type, the exact Content-Length, a strong ETag that
// is the content's SHA-256 (assets never change under a name), then the body
// unless the request is HEAD. Headers the format adds (Digest,
// Content-Disposition, Cache-Control) are set by the caller beforehand. It
// closes rc.
func WriteAsset(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, size int64, contentType, sha256 string) {
	defer rc.Close()
	h := w.Header()
	// Canonical keys assigned directly: Header.Set would canonicalize each.
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
	h["Etag"] = []string{`"` + sha256 + `"`}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		defer coalesce.Hold(r.Context())() // headers and body in one write
		_, _ = io.Copy(w, rc)
	}
}

// Header values shared by every response that sends them: assigned straight
// into a response's header map (Header.Set would canonicalize the key and
// allocate a new one-element slice per request). Each has cap == len, so an
// Add elsewhere reallocates instead of writing into the shared array, and
// net/http only reads them.
var (
	OctetStream = []string{"application/octet-stream"}
	// ImmutablePrivate: an asset never changes under its name, and it was
	// served to an authenticated caller.
	ImmutablePrivate = []string{"private, max-age=31536000, immutable"}
)

// WriteFile is WriteAsset for a file resolved by packages.Engine.FetchFile:
// its ETag and Content-Length come pre-formatted with it. contentType is a
// shared value such as OctetStream. It closes rc and returns the error that
// cut the body short, if one did (the status is sent by then).
func WriteFile(w http.ResponseWriter, r *http.Request, rc io.ReadCloser, size int64, f *packages.File, contentType []string) error {
	defer rc.Close()
	h := w.Header()
	// Canonical keys ("Etag" is how Header.Set spells "ETag").
	h["Content-Type"] = contentType
	if size == f.Asset.Size {
		h["Content-Length"] = f.ContentLength
	} else {
		// The blob store's size is what is streamed; the row should agree.
		h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
	}
	h["Etag"] = f.ETag
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	defer coalesce.Hold(r.Context())() // headers and body in one write
	_, err := io.Copy(w, rc)
	return err
}
