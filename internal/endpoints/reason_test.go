package endpoints

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
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

// TestWriteWithReasonReachesAClientThatWritesFirst: twine and mvn send their
// whole upload before they read the answer. The refusal must reach them: the
// server must not close with unread upload bytes, which resets the connection
// and discards the answer on the client's side.
func TestWriteWithReasonReachesAClientThatWritesFirst(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteWithReason(w, r, http.StatusForbidden, "blocked by package group", "text/plain", []byte("403 blocked\n"))
	}))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	const size = 4 << 20
	if _, err := fmt.Fprintf(conn, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(make([]byte, size)); err != nil {
		t.Fatalf("writing the upload: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer after the whole upload: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.Status != "403 blocked by package group" || string(body) != "403 blocked\n" {
		t.Fatalf("answer: %q %q %v", resp.Status, body, err)
	}
}
