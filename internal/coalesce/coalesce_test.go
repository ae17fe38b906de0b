package coalesce

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// server serves handler through a coalescing listener and records, per
// request path, how many system calls the connection made for it.
type server struct {
	URL   string
	mu    sync.Mutex
	sends map[string]int
}

func start(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{URL: "http://" + ln.Addr().String(), sends: map[string]int{}}
	hs := &http.Server{ConnContext: ConnContext, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := r.Context().Value(connKey{}).(*Conn)
		c.mu.Lock()
		before := c.sends
		c.mu.Unlock()
		handler(w, r)
		// net/http's own last flush comes after the handler: count it too.
		http.NewResponseController(w).Flush()
		c.mu.Lock()
		s.mu.Lock()
		s.sends[r.URL.Path] = c.sends - before
		s.mu.Unlock()
		c.mu.Unlock()
	})}
	go func() { _ = hs.Serve(Listener{ln}) }()
	t.Cleanup(func() { _ = hs.Close() })
	return s
}

func (s *server) sendsFor(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends[path]
}

func body(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

func get(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// A held 23 KB answer (headers and body) leaves in one system call; the same
// answer not held takes two, as net/http sends it.
func TestHeldAnswerIsOneWrite(t *testing.T) {
	payload := body(23000)
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
		if r.URL.Path == "/held" {
			defer Hold(r.Context())()
		}
		_, _ = w.Write(payload)
	})
	c := &http.Client{}
	for _, path := range []string{"/held", "/plain", "/held"} { // one keep-alive connection
		if got := get(t, c, s.URL+path); !bytes.Equal(got, payload) {
			t.Fatalf("%s: body differs (%d bytes)", path, len(got))
		}
	}
	if n := s.sendsFor("/held"); n != 1 {
		t.Fatalf("held answer: %d system calls, want 1", n)
	}
	if n := s.sendsFor("/plain"); n != 2 {
		t.Fatalf("answer not held: %d system calls, want net/http's 2 (else this test shows nothing)", n)
	}
}

// Bodies of every size around net/http's buffer, through Write, many
// Writes, io.Copy from a file (the sendfile path) and HEAD, on one connection:
// every byte arrives, in order.
func TestEveryWayOutKeepsTheBytesInOrder(t *testing.T) {
	dir := t.TempDir()
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		p := body(n)
		defer Hold(r.Context())()
		switch r.URL.Query().Get("how") {
		case "write":
			w.Header().Set("Content-Length", strconv.Itoa(n))
			_, _ = w.Write(p)
		case "pieces": // chunked, many writes
			for i := 0; i < n; i += 1000 {
				_, _ = w.Write(p[i:min(i+1000, n)])
			}
		case "file":
			f := filepath.Join(dir, fmt.Sprint(n))
			_ = os.WriteFile(f, p, 0o600)
			fh, _ := os.Open(f)
			defer fh.Close()
			w.Header().Set("Content-Length", strconv.Itoa(n))
			_, _ = io.Copy(w, fh)
		}
	})
	c := &http.Client{}
	for _, how := range []string{"write", "pieces", "file"} {
		for _, n := range []int{0, 1, 3000, 4000, 4096, 5000, 8192, 8193, 23000, 70000, 1 << 20} {
			if got := get(t, c, fmt.Sprintf("%s/?how=%s&n=%d", s.URL, how, n)); !bytes.Equal(got, body(n)) {
				t.Fatalf("how=%s n=%d: %d bytes, differing", how, n, len(got))
			}
			resp, err := c.Head(fmt.Sprintf("%s/?how=%s&n=%d", s.URL, how, n))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
}

// A connection the handler never writes to, or a context without a
// coalescing connection: Hold is harmless.
func TestHoldWithoutWrites(t *testing.T) {
	Hold(context.Background())()
	s := start(t, func(w http.ResponseWriter, r *http.Request) {
		release := Hold(r.Context())
		release()
		_, _ = w.Write([]byte("after release"))
	})
	if got := get(t, &http.Client{}, s.URL+"/x"); string(got) != "after release" {
		t.Fatalf("got %q", got)
	}
	if n := s.sendsFor("/x"); n != 1 {
		t.Fatalf("%d system calls, want 1", n)
	}
}
