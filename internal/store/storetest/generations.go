package storetest

import (
	"testing"

	"github.com/wharf-dev/wharf/internal/store"
)

// testGenerations: a domain's change counter starts at 0, each bump returns a
// strictly larger value that Generation then reports, domains (and owners)
// count separately, and deleting and re-creating a domain never resets it.
func testGenerations(t *testing.T, s store.Store) {
	gen := func(own, name string) int64 {
		t.Helper()
		g, err := s.Generation(ctx(t), own, name)
		ok(t, err, "Generation "+own+"/"+name)
		return g
	}
	if g := gen(owner, "d"); g != 0 {
		t.Fatalf("Generation of a never-bumped domain = %d, want 0", g)
	}
	mkDomain(t, s, owner, "d")
	var last int64
	for i := range 3 {
		g, err := s.BumpGeneration(ctx(t), owner, "d")
		ok(t, err, "BumpGeneration")
		if g <= last {
			t.Fatalf("bump %d returned %d after %d", i, g, last)
		}
		if got := gen(owner, "d"); got != g {
			t.Fatalf("Generation = %d after a bump returned %d", got, g)
		}
		last = g
	}
	if g := gen(other, "d"); g != 0 {
		t.Fatalf("another owner's domain of the same name has generation %d", g)
	}
	if g := gen(owner, "e"); g != 0 {
		t.Fatalf("another domain has generation %d", g)
	}
	ok(t, s.DeleteDomain(ctx(t), owner, "d"), "DeleteDomain")
	if g := gen(owner, "d"); g < last {
		t.Fatalf("Generation after DeleteDomain = %d, below %d (counters are never reset)", g, last)
	}
	mkDomain(t, s, owner, "d")
	g, err := s.BumpGeneration(ctx(t), owner, "d")
	ok(t, err, "BumpGeneration after re-create")
	if g <= last {
		t.Fatalf("re-created domain's bump returned %d, not above %d", g, last)
	}
}
