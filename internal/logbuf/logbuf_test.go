package logbuf

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output whose writes can be counted and read while the
// Writer's timer may be writing to it.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) read() (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String(), s.writes
}

func TestInfoWaitsWarnFlushesEverythingBeforeIt(t *testing.T) {
	out := &syncBuffer{}
	w := New(out, time.Hour, 1<<20) // never by time in this test
	log := slog.New(NewHandler(slog.NewTextHandler(w, nil), w)).With("component", "test")
	log.Info("request", "n", 1)
	log.Info("request", "n", 2)
	if got, _ := out.read(); got != "" {
		t.Fatalf("Info lines written before any flush: %q", got)
	}
	log.Warn("disk almost full")
	got, writes := out.read()
	if writes != 1 || strings.Count(got, "\n") != 3 || !strings.Contains(got, "n=1") || !strings.Contains(got, "n=2") ||
		!strings.HasSuffix(got, "msg=\"disk almost full\" component=test\n") {
		t.Fatalf("a warning must write everything before it, in order, in one write; got %d writes:\n%s", writes, got)
	}
	log.WithGroup("g").Error("broken", "k", "v") // derived handlers flush too
	if got, _ := out.read(); !strings.Contains(got, "g.k=v") {
		t.Fatalf("an Error record through WithGroup waited: %q", got)
	}
}

func TestFullBufferIsWrittenAtOnce(t *testing.T) {
	out := &syncBuffer{}
	w := New(out, time.Hour, 100)
	line := strings.Repeat("x", 39) + "\n"
	for range 2 {
		_, _ = w.Write([]byte(line))
	}
	if got, _ := out.read(); got != "" {
		t.Fatalf("80 bytes of a 100-byte buffer written early: %q", got)
	}
	_, _ = w.Write([]byte(line))
	if got, writes := out.read(); got != strings.Repeat(line, 3) || writes != 1 {
		t.Fatalf("a full buffer must be written in one write: %d writes of %q", writes, got)
	}
}

func TestWaitingLinesReachTheOutputAfterTheDelay(t *testing.T) {
	out := &syncBuffer{}
	w := New(out, 5*time.Millisecond, 1<<20)
	for round := range 3 { // the timer re-arms after each flush
		want := fmt.Sprintf("line %d\n", round)
		_, _ = w.Write([]byte(want))
		deadline := time.Now().Add(10 * time.Second) // a safety net, not a timing assertion
		for {
			if got, _ := out.read(); strings.HasSuffix(got, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: a waiting line never reached the output", round)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestCloseFlushesAndLaterWritesGoStraightThrough(t *testing.T) {
	out := &syncBuffer{}
	w := New(out, time.Hour, 1<<20)
	_, _ = w.Write([]byte("before\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.read(); got != "before\n" {
		t.Fatalf("Close did not flush: %q", got)
	}
	_, _ = w.Write([]byte("after\n"))
	if got, _ := out.read(); got != "before\nafter\n" {
		t.Fatalf("a write after Close waited: %q", got)
	}
}

// Records written from many goroutines arrive whole and all of them.
func TestConcurrentRecordsArriveWhole(t *testing.T) {
	out := &syncBuffer{}
	w := New(out, time.Millisecond, 512)
	log := slog.New(NewHandler(slog.NewTextHandler(w, nil), w))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				log.Info("request", "g", g, "i", i, "pad", strings.Repeat("p", i%50))
			}
		}()
	}
	wg.Wait()
	_ = w.Close()
	got, _ := out.read()
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "time=") || !strings.Contains(l, " msg=request g=") {
			t.Fatalf("a record arrived cut or mixed: %q", l)
		}
	}
}
