package endpoints

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestWriteAsset(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		rc := &closeRecorder{Reader: strings.NewReader("crate bytes")}
		w := httptest.NewRecorder()
		WriteAsset(w, httptest.NewRequest(method, "/x", nil), rc, 11, "application/x-tar", "abc123")
		res := w.Result()
		want := "crate bytes"
		if method == http.MethodHead {
			want = ""
		}
		if res.StatusCode != 200 || w.Body.String() != want || res.Header.Get("Content-Type") != "application/x-tar" ||
			res.Header.Get("Content-Length") != "11" || res.Header.Get("ETag") != `"abc123"` || !rc.closed {
			t.Errorf("%s: %d %q %v closed=%v", method, res.StatusCode, w.Body.String(), res.Header, rc.closed)
		}
	}
}
