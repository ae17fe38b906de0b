package app

import (
	"math/bits"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Request ids are 32 lowercase hex characters, never repeat within a
// process (also when drawn concurrently), and two processes (each with its
// own source) do not share a prefix.
func TestRequestIDsUnique(t *testing.T) {
	src := newRequestIDSource()
	const workers, each = 4, 5000
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				var b [32]byte
				src.idInto(b[:])
				ids[w] = append(ids[w], string(b[:]))
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, l := range ids {
		for _, id := range l {
			if len(id) != 32 {
				t.Fatalf("id %q is not 32 characters", id)
			}
			for _, c := range id {
				if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
					t.Fatalf("id %q is not lowercase hex", id)
				}
			}
			if seen[id] {
				t.Fatalf("id %q drawn twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != workers*each {
		t.Fatalf("%d ids, want %d", len(seen), workers*each)
	}
	// Another process (a replica, a restart) draws its own random prefix.
	other := newRequestIDSource()
	if other.prefix == src.prefix {
		t.Fatalf("two sources drew the same prefix %q", src.prefix[:])
	}
	// The counter wraps into the next id rather than repeating one.
	src.next.Store(^uint64(0))
	var a, b [32]byte
	src.idInto(a[:])
	src.idInto(b[:])
	var zero [16]byte
	hexInto(zero[:], src.permute(0))
	if a == b || string(a[16:]) != string(zero[:]) {
		t.Fatalf("after the counter's last value: %q then %q", a[:], b[:])
	}
}

// An id does not show the counter behind it: two consecutive ids' suffixes
// are not consecutive numbers (they would tell a client how many requests
// the server answered between two of its own), and they differ in about half
// their bits.
func TestRequestIDsDoNotCount(t *testing.T) {
	src := newRequestIDSource()
	const n = 1000
	var prev uint64
	flipped := 0
	for i := range n {
		v := src.permute(uint64(i))
		if i > 0 {
			if v == prev+1 {
				t.Fatalf("ids of counters %d and %d are consecutive", i-1, i)
			}
			flipped += bits.OnesCount64(v ^ prev)
		}
		prev = v
	}
	if avg := float64(flipped) / (n - 1); avg < 24 || avg > 40 {
		t.Fatalf("consecutive ids differ in %.1f bits on average, want about 32", avg)
	}
}

// The middleware writes the header map under this key directly: it must be
// the canonical form Header.Get looks up.
func TestRequestIDHeaderCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey("X-Amzn-RequestId"); got != requestIDHeader {
		t.Fatalf("canonical key %q, middleware writes %q", got, requestIDHeader)
	}
}

// The middleware's writer sets Date as net/http would (the response's second,
// http.TimeFormat), keeps one the handler set, and leaves a 1xx answer alone.
func TestDateHeader(t *testing.T) {
	before := time.Now().Truncate(time.Second)
	rec := httptest.NewRecorder()
	sw := &statusWriter{ResponseWriter: rec}
	sw.WriteHeader(http.StatusEarlyHints)
	if d := rec.Header().Get("Date"); d != "" {
		t.Fatalf("a 1xx answer got Date %q", d)
	}
	_, _ = sw.Write([]byte("x"))
	after := time.Now()
	d, err := http.ParseTime(rec.Header().Get("Date"))
	if err != nil || d.Before(before) || d.After(after) || rec.Header().Get("Date") != d.UTC().Format(http.TimeFormat) {
		t.Fatalf("Date %q (%v): want this second in http.TimeFormat", rec.Header().Get("Date"), err)
	}

	rec = httptest.NewRecorder()
	rec.Header().Set("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
	sw = &statusWriter{ResponseWriter: rec}
	sw.WriteHeader(http.StatusNotModified)
	if got := rec.Header().Values("Date"); len(got) != 1 || got[0] != "Sun, 06 Nov 1994 08:49:37 GMT" {
		t.Fatalf("the handler's Date became %q", got)
	}

	// Each second gets its own value.
	var c dateCache
	t1 := time.Date(2026, 11, 30, 4, 5, 6, 7, time.FixedZone("X", 3600))
	for _, tm := range []time.Time{t1, t1.Add(time.Millisecond), t1.Add(time.Second), t1, t1.Add(-time.Hour)} {
		if got, want := c.at(tm)[0], tm.UTC().Format(http.TimeFormat); got != want {
			t.Fatalf("at(%v) = %q, want %q", tm, got, want)
		}
	}
}
