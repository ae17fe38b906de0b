package cached

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Local generations: concurrent first bumps of new domains (each copies the
// map of counters) lose none, each bump answers a generation no other bump
// of its domain answered, and readers see every domain's last one.
func TestLocalGenerationsConcurrentBumps(t *testing.T) {
	s := New(nil, Options{})
	ctx := context.Background()
	const domains, workers, bumps = 8, 4, 200
	seen := make([]map[int64]bool, domains)
	for i := range seen {
		seen[i] = map[int64]bool{}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range bumps {
				d := (i + w) % domains
				g, err := s.bump(ctx, domKey{"000000000000", fmt.Sprint("d", d)})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Generation(ctx, "000000000000", fmt.Sprint("d", (i+1)%domains)); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[d][g] {
					t.Errorf("domain %d: generation %d answered twice", d, g)
				}
				seen[d][g] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for d := range domains {
		g, _ := s.Generation(ctx, "000000000000", fmt.Sprint("d", d))
		if want := int64(workers * bumps / domains); g != want || len(seen[d]) != int(want) {
			t.Fatalf("domain %d: generation %d after %d distinct bumps, want %d", d, g, len(seen[d]), want)
		}
	}
	if g, _ := s.Generation(ctx, "000000000000", "never-bumped"); g != 0 {
		t.Fatalf("a domain never bumped is at generation %d", g)
	}
}
