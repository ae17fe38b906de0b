// Package logbuf batches wharf's log output. A record below Warn (the access
// log line every request writes, at Info) waits in memory and reaches the
// output together with the others, at most Delay later or as soon as Size bytes
// wait; a Warn or Error record is written at once, with everything before it.
//
// Why: one write(2) per request for the access log line was as much CPU as
// the rest of the log line's formatting on a cached-tarball GET, the request
// wharf answers most (bench/ANALYSIS.md). nginx's access_log buffer= does the
// same. What can be lost is what a crash leaves in the buffer: at most Delay
// of Info lines, never a warning or an error.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Defaults: a tenth of a second is soon enough for someone tailing the log,
// and 64 KiB holds a few hundred access lines.
const (
	DefaultDelay = 100 * time.Millisecond
	DefaultSize  = 64 << 10
)

// Writer buffers what is written to it. Safe for concurrent use: each Write
// is one whole record (slog handlers write a record in one call), so records
// are never interleaved.
type Writer struct {
	out   io.Writer
	delay time.Duration
	size  int

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds bytes
	closed bool
}

// New returns a Writer over out (delay ≤ 0 or size ≤ 0: the defaults).
func New(out io.Writer, delay time.Duration, size int) *Writer {
	if delay <= 0 {
		delay = DefaultDelay
	}
	if size <= 0 {
		size = DefaultSize
	}
	return &Writer{out: out, delay: delay, size: size}
}

// Write appends p; it reaches the output within the delay, or now when the
// buffer is full or the Writer is closed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= w.size {
		return len(p), w.flushLocked()
	}
	if w.timer == nil {
		w.timer = time.AfterFunc(w.delay, func() { _ = w.Flush() })
	} else if len(w.buf) == len(p) { // the first bytes since the last flush
		w.timer.Reset(w.delay)
	}
	return len(p), nil
}

// Flush writes what waits.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked()
}

func (w *Writer) flushLocked() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.out.Write(w.buf)
	if cap(w.buf) > 4*w.size { // a burst of huge records: do not keep their buffer
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	return err
}

// Close flushes and makes later writes go straight to the output (a record
// logged while the process shuts down is not left behind).
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return w.flushLocked()
}

// Handler is an slog.Handler writing through a Writer: a record at Warn or
// above flushes it, so warnings and errors are never delayed and never lost
// to a crash that follows them.
type Handler struct {
	slog.Handler
	w *Writer
}

// NewHandler wraps h, which must write to w.
func NewHandler(h slog.Handler, w *Writer) *Handler { return &Handler{Handler: h, w: w} }

// Handle writes the record and, at Warn or above, flushes.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

// WithAttrs and WithGroup keep the flushing wrapper around the derived handler.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{Handler: h.Handler.WithGroup(name), w: h.w}
}
