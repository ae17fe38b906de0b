// Package upstreamtest is a misbehaving upstream registry for tests: an
// httptest server on loopback that serves fixed documents and, per path, fails
// in the ways real networks and registries do — a body shorter than its
// Content-Length, a connection cut mid-body with and without a length, a reset,
// headers or body that never come, a redirect to another host, the wrong bytes,
// a 500. Format tests drive wharf through it and check that nothing bad is
// stored and that the next good answer is.
package upstreamtest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// Fault is how the server answers a path.
type Fault int

const (
	Good          Fault = iota // the document as set
	ShortLength                // Content-Length of the whole, half the bytes, then close
	ShortChunked               // chunked, half the bytes, then close without the last chunk
	ShortNoLength              // no length, no chunking (close-delimited), half the bytes
	Reset                      // half the bytes, then a TCP reset
	SlowHeaders                // no response until the client gives up
	SlowBody                   // headers and half the bytes, then nothing until the client gives up
	Redirect                   // 302 to Target (another host)
	WrongBytes                 // 200 with the document's bytes altered (same length)
	Status500                  // 500
	Status503                  // 503
)

var names = map[Fault]string{Good: "good", ShortLength: "short body with Content-Length",
	ShortChunked: "chunked body cut short", ShortNoLength: "close-delimited body cut short",
	Reset: "reset mid-body", SlowHeaders: "slow headers", SlowBody: "slow body",
	Redirect: "redirect to another host", WrongBytes: "wrong bytes", Status500: "500", Status503: "503"}

func (f Fault) String() string { return names[f] }

// Server is the misbehaving upstream.
type Server struct {
	*httptest.Server
	// Target is where Redirect sends requests (set it to another server's URL).
	Target string

	mu     sync.Mutex
	docs   map[string]doc
	faults map[string]Fault
	hits   map[string]*atomic.Int64
	stop   chan struct{}
	once   sync.Once
}

type doc struct {
	body, wrong []byte // wrong: the same length, every byte altered (WrongBytes)
	contentType string
}

// New starts a server; it stops when the test ends (stalled handlers are
// released first).
func New(t testing.TB) *Server {
	s := &Server{docs: map[string]doc{}, faults: map[string]Fault{}, hits: map[string]*atomic.Int64{}, stop: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.once.Do(func() { close(s.stop) })
		s.Server.CloseClientConnections()
		s.Server.Close()
	})
	return s
}

// Set serves body at path (an absolute URL path, e.g. "/lodash").
func (s *Server) Set(path, contentType string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wrong := append([]byte(nil), body...)
	for i := range wrong {
		wrong[i] ^= 0x5a
	}
	s.docs[path] = doc{body: body, wrong: wrong, contentType: contentType}
}

// Fail makes path answer with f until set back to Good.
func (s *Server) Fail(path string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[path] = f
}

// Hits is how many requests path has received.
func (s *Server) Hits(path string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.hits[path]; ok {
		return c.Load()
	}
	return 0
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d, ok := s.docs[r.URL.EscapedPath()]
	if !ok {
		d, ok = s.docs[r.URL.Path]
	}
	f := s.faults[r.URL.EscapedPath()]
	if f == Good {
		f = s.faults[r.URL.Path]
	}
	c, seen := s.hits[r.URL.Path]
	if !seen {
		c = &atomic.Int64{}
		s.hits[r.URL.Path] = c
	}
	c.Add(1)
	s.mu.Unlock()

	switch f {
	case Status500, Status503:
		code := http.StatusInternalServerError
		if f == Status503 {
			code = http.StatusServiceUnavailable
		}
		http.Error(w, "upstream trouble", code)
		return
	case Redirect:
		http.Redirect(w, r, s.Target+r.URL.Path, http.StatusFound)
		return
	case SlowHeaders:
		s.wait(r)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, half := d.body, d.body[:len(d.body)/2]
	ct := d.contentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	switch f {
	case Good:
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	case WrongBytes:
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(d.wrong)))
		_, _ = w.Write(d.wrong)
	case SlowBody:
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(half)
		w.(http.Flusher).Flush()
		s.wait(r)
	default:
		s.raw(w, f, ct, body, half)
	}
}

// raw writes the faults net/http would not produce, on the hijacked connection.
func (s *Server) raw(w http.ResponseWriter, f Fault, ct string, body, half []byte) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	write := func(format string, args ...any) { _, _ = fmt.Fprintf(buf, format, args...) }
	switch f {
	case ShortLength, Reset:
		write("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ct, len(body))
		_, _ = buf.Write(half)
	case ShortChunked:
		write("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n", ct)
		write("%x\r\n", len(half))
		_, _ = buf.Write(half)
		write("\r\n")
	case ShortNoLength:
		write("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nConnection: close\r\n\r\n", ct)
		_, _ = buf.Write(half)
	}
	_ = buf.Flush()
	if f == Reset {
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close sends RST instead of FIN
		}
	}
}

// wait blocks until the client goes away or the test ends.
func (s *Server) wait(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.stop:
	}
}

// Faults lists every fault that must leave nothing stored (all but Good).
var Faults = []Fault{ShortLength, ShortChunked, ShortNoLength, Reset, SlowHeaders, SlowBody, Redirect, WrongBytes, Status500, Status503}
