package app

import (
	"net/http"
	"sync"
	"testing"
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
	if a == b || string(a[16:]) != "0000000000000000" {
		t.Fatalf("after the counter's last value: %q then %q", a[:], b[:])
	}
}

// The middleware writes the header map under this key directly: it must be
// the canonical form Header.Get looks up.
func TestRequestIDHeaderCanonical(t *testing.T) {
	if got := http.CanonicalHeaderKey("X-Amzn-RequestId"); got != requestIDHeader {
		t.Fatalf("canonical key %q, middleware writes %q", got, requestIDHeader)
	}
}
