package endpoints

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteWithReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteWithReason(w, r, http.StatusForbidden, "blocked by\r\npackage group /pypi//x$", "text/plain", []byte("403 blocked\n"))
	}))
	defer srv.Close()
	for _, c := range []struct{ method, status string }{
		{http.MethodPost, "403 blocked by  package group /pypi//x$"}, // a write: the message is the reason phrase, on one line
		{http.MethodGet, "403 Forbidden"},                            // a read keeps the standard phrase and its connection
	} {
		req, _ := http.NewRequest(c.method, srv.URL, strings.NewReader(strings.Repeat("x", 1<<20)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.method, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Status != c.status || string(body) != "403 blocked\n" {
			t.Errorf("%s: status %q body %q, want %q", c.method, resp.Status, body, c.status)
		}
	}
}
