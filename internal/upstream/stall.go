package upstream

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// errStalled is the cancel cause of a request whose body stopped arriving.
var errStalled = errors.New("upstream stopped sending")

// stallTimer cancels a request when one read of its body waits longer than d:
// net/http bounds the wait for headers (ResponseHeaderTimeout) but not the
// gaps in a body, and an upstream that sends a few bytes and then nothing would
// otherwise hold a request slot, a client and a pending blob for as long as the
// whole flight may last.
type stallTimer struct {
	d      time.Duration
	cancel context.CancelCauseFunc
	t      *time.Timer
	hit    atomic.Bool
}

// newStallTimer derives the request context; d <= 0 disables the timer.
func newStallTimer(ctx context.Context, d time.Duration) (context.Context, *stallTimer) {
	ctx, cancel := context.WithCancelCause(ctx)
	s := &stallTimer{d: d, cancel: cancel}
	if d > 0 {
		s.t = time.AfterFunc(time.Hour, func() {
			s.hit.Store(true)
			cancel(errStalled)
		})
		s.t.Stop()
	}
	return ctx, s
}

// arm starts the clock for one read; disarm stops it.
func (s *stallTimer) arm() {
	if s.t != nil {
		s.t.Reset(s.d)
	}
}

func (s *stallTimer) disarm() {
	if s.t != nil {
		s.t.Stop()
	}
}

// fired reports whether the timer cancelled the request.
func (s *stallTimer) fired() bool { return s.hit.Load() }

// stop releases the timer and the context (the request is over).
func (s *stallTimer) stop() {
	s.disarm()
	s.cancel(nil)
}

// stallReader arms s around each read of r.
type stallReader struct {
	r io.Reader
	s *stallTimer
}

func (r *stallReader) Read(p []byte) (int, error) {
	r.s.arm()
	defer r.s.disarm()
	return r.r.Read(p)
}
