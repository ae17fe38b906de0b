package storetest

import (
	"sync"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

const racers = 16

// race runs fn in racers goroutines released together and checks that exactly
// one succeeded and every other got Conflict (never a leaked busy/locked error).
func race(t *testing.T, what string, fn func(i int) error) {
	t.Helper()
	errs := make([]error, racers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range racers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("%s: racer %d: got %v, want nil or Conflict", what, i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d racers succeeded, want exactly 1", what, wins)
	}
}

func testConcurrentCreateDomain(t *testing.T, s store.Store) {
	race(t, "CreateDomain", func(int) error { return s.CreateDomain(ctx(t), newDomain(owner, "d")) })
	ds, _, err := s.ListDomains(ctx(t), owner, store.Page{})
	ok(t, err, "ListDomains")
	if len(ds) != 1 {
		t.Errorf("after the race: %d domains, want 1", len(ds))
	}
}

func testConcurrentCreateRepository(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	race(t, "CreateRepository", func(int) error { return s.CreateRepository(ctx(t), newRepo(owner, "d", "r")) })
	n, _, err := s.DomainStats(ctx(t), owner, "d")
	ok(t, err, "DomainStats")
	if n != 1 {
		t.Errorf("after the race: %d repositories, want 1", n)
	}
}

func testConcurrentCreateVersion(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r")
	k := pkgKey("r", model.FormatNpm, "", "p")
	// Each racer brings different content; the winner's is what is stored.
	race(t, "CreateVersion", func(i int) error {
		v := newVersion(k, "1.0.0")
		v.Revision = string(rune('a' + i))
		return s.CreateVersion(ctx(t), newPkg(k), v, []model.Asset{asset("p.tgz", v.Revision, int64(i+1))})
	})
	v, err := s.GetVersion(ctx(t), k, "1.0.0")
	ok(t, err, "GetVersion")
	as, err := s.ListAssets(ctx(t), k, "1.0.0")
	ok(t, err, "ListAssets")
	if len(as) != 1 || as[0].Hashes.SHA256 != v.Revision {
		t.Errorf("after the race: version revision %q with assets %+v: not one racer's write", v.Revision, as)
	}
}
