// Package coalesce sends a response whose body is whole in memory in one
// write(2).
//
// net/http writes a response through a 4 KiB buffer: for a body larger than
// what is left of it, the headers and the first part of the body go out in
// one write and the rest in a second — two system calls, and two TCP
// transmissions the client wakes up for. nginx sends the same answer corked
// (tcp_nopush), in one. A handler that writes a body it holds whole (a cached
// tarball, a rendered packument) brackets the write with Hold: the connection
// keeps net/http's first write (at most MaxHeld bytes) and sends it with the
// next one in a single writev, or alone when the handler is done.
//
// Why: on a cached 23 KB tarball, the request wharf answers most, the second
// transmission cost the server a system call and the client a wake-up per
// answer (bench/ANALYSIS.md).
package coalesce

import (
	"context"
	"io"
	"net"
	"sync"
)

// MaxHeld is the largest write a held connection keeps back: net/http's
// buffer size, with room to spare.
const MaxHeld = 8 << 10

// Listener wraps accepted TCP connections in a Conn.
type Listener struct{ net.Listener }

// Accept accepts the next connection.
func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &Conn{TCPConn: tc}, nil
	}
	return c, err
}

// Conn is a TCP connection that can hold back one write. Every way out of it
// (Write, ReadFrom, CloseWrite, Close, Release) sends what it holds first, so
// bytes never change order.
type Conn struct {
	*net.TCPConn

	mu      sync.Mutex
	holding bool
	held    []byte // the held write, in buf
	buf     []byte // MaxHeld bytes, allocated on first use
	sends   int    // write system calls made (for tests: what the package is for)
}

type connKey struct{}

// ConnContext is an http.Server ConnContext: it lets Hold find the
// request's connection.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if cc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, cc)
	}
	return ctx
}

// Hold makes the request's connection keep back its next write (net/http's
// headers and first part of the body) until the one after it, or until the
// returned release is called — which the caller must do (defer it) once its
// body is written. Outside a coalescing server it does nothing.
func Hold(ctx context.Context) (release func()) {
	c, _ := ctx.Value(connKey{}).(*Conn)
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
	return c.release
}

func (c *Conn) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	_ = c.sendHeldLocked()
}

// Write sends p, or keeps it back while held.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) > 0 {
		// One writev for both: what was held and p.
		held := len(c.held)
		bufs := net.Buffers{c.held, p}
		c.sends++
		n, err := bufs.WriteTo(c.TCPConn)
		c.held, c.holding = nil, false
		if n < int64(held) {
			return 0, err
		}
		return int(n) - held, err
	}
	if c.holding && len(p) <= MaxHeld {
		if c.buf == nil {
			c.buf = make([]byte, MaxHeld)
		}
		c.held = c.buf[:copy(c.buf, p)]
		return len(p), nil
	}
	c.sends++
	return c.TCPConn.Write(p)
}

func (c *Conn) sendHeldLocked() error {
	if len(c.held) == 0 {
		return nil
	}
	c.sends++
	_, err := c.TCPConn.Write(c.held)
	c.held = nil
	return err
}

// ReadFrom sends what is held, then copies from r (net/http's path for
// io.Copy into a response).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	c.mu.Lock()
	err := c.sendHeldLocked()
	c.holding = false
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.TCPConn.ReadFrom(r)
}

// CloseWrite sends what is held, then shuts the write side.
func (c *Conn) CloseWrite() error {
	c.mu.Lock()
	err := c.sendHeldLocked()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.TCPConn.CloseWrite()
}

// Close sends what is held, then closes.
func (c *Conn) Close() error {
	c.mu.Lock()
	_ = c.sendHeldLocked()
	c.holding = false
	c.mu.Unlock()
	return c.TCPConn.Close()
}
