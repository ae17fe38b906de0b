package endpoints

import (
	"io"
	"net/http"
	"strconv"

	"github.com/wharf-dev/wharf/internal/coalesce"
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
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	h.Set("ETag", `"`+sha256+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		defer coalesce.Hold(r.Context())() // headers and body in one write
		_, _ = io.Copy(w, rc)
	}
}
