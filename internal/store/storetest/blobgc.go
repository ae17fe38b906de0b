package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// testDeleteAssets: a version's asset rows go, the version stays, the
// domain's stored bytes shrink by what no other version references.
func testDeleteAssets(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r1")
	k := pkgKey("r1", model.FormatNpm, "", "p")
	_, err := s.DeleteAssets(ctx(t), k, "1.0.0")
	wantKind(t, err, apperr.NotFound, "DeleteAssets missing version")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"),
		[]model.Asset{asset("p-1.0.0.tgz", "aaa", 100), asset("readme", "bbb", 10)}), "CreateVersion 1.0.0")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "2.0.0"),
		[]model.Asset{asset("p-2.0.0.tgz", "aaa", 100)}), "CreateVersion 2.0.0")

	got, err := s.DeleteAssets(ctx(t), k, "1.0.0")
	ok(t, err, "DeleteAssets")
	if len(got) != 2 || got[0].Name != "p-1.0.0.tgz" || got[1].Name != "readme" || got[1].Hashes.SHA256 != "bbb" {
		t.Errorf("DeleteAssets returned %+v; want both assets by name", got)
	}
	left, err := s.ListAssets(ctx(t), k, "1.0.0")
	ok(t, err, "ListAssets after DeleteAssets")
	if len(left) != 0 {
		t.Errorf("ListAssets after DeleteAssets = %+v; want none", left)
	}
	if _, err := s.GetVersion(ctx(t), k, "1.0.0"); err != nil {
		t.Errorf("the version went with its assets: %v", err)
	}
	if other, err := s.ListAssets(ctx(t), k, "2.0.0"); err != nil || len(other) != 1 {
		t.Errorf("ListAssets 2.0.0 = %+v, %v; want its one asset", other, err)
	}
	_, size, err := s.DomainStats(ctx(t), owner, "d")
	ok(t, err, "DomainStats")
	if size != 100 {
		t.Errorf("DomainStats after DeleteAssets = %d bytes; want 100 (aaa is still referenced)", size)
	}
	again, err := s.DeleteAssets(ctx(t), k, "1.0.0")
	if err != nil || len(again) != 0 {
		t.Errorf("DeleteAssets again = %+v, %v; want none, nil", again, err)
	}
}

// testSweepBlob: SweepBlob removes only what no asset row of the domain
// references and no fresh pin protects, and drops the digest's pins with it.
func testSweepBlob(t *testing.T, s store.Store) {
	mkDomain(t, s, owner, "d")
	mkDomain(t, s, owner, "e")
	mkRepo(t, s, owner, "d", "r1")
	k := pkgKey("r1", model.FormatNpm, "", "p")
	ok(t, s.CreateVersion(ctx(t), newPkg(k), newVersion(k, "1.0.0"), []model.Asset{asset("p.tgz", "aaa", 1)}), "CreateVersion")

	var removed []string
	remover := func(sha string) func(context.Context) error {
		return func(context.Context) error { removed = append(removed, sha); return nil }
	}
	t0 := time.UnixMilli(1_700_000_000_000).UTC()
	sweep := func(domain, sha string, since time.Time) bool {
		t.Helper()
		got, err := s.SweepBlob(ctx(t), owner, domain, sha, since, remover(domain+"/"+sha))
		ok(t, err, "SweepBlob "+sha)
		return got
	}

	if sweep("d", "aaa", t0) {
		t.Errorf("SweepBlob removed a referenced blob")
	}
	// The same digest in another domain is not referenced there.
	if !sweep("e", "aaa", t0) {
		t.Errorf("SweepBlob kept a blob only another domain references")
	}

	ok(t, s.PinBlob(ctx(t), owner, "d", "bbb", "pin-1", t0), "PinBlob 1")
	ok(t, s.PinBlob(ctx(t), owner, "d", "bbb", "pin-2", t0.Add(time.Minute)), "PinBlob 2")
	ok(t, s.PinBlob(ctx(t), owner, "d", "ccc", "pin-3", t0), "PinBlob 3")
	if sweep("d", "bbb", t0) {
		t.Errorf("SweepBlob removed a blob with fresh pins")
	}
	// Releasing one writer's pin leaves the other's protecting the blob.
	ok(t, s.UnpinBlobs(ctx(t), []string{"pin-1"}), "UnpinBlobs")
	if sweep("d", "bbb", t0) {
		t.Errorf("SweepBlob removed a blob another writer still pins")
	}
	// A pin older than pinnedSince is stale: it protects nothing.
	if !sweep("d", "bbb", t0.Add(2*time.Minute)) {
		t.Errorf("SweepBlob kept a blob whose only pin is stale")
	}
	// ...and went with the removal: the digest is unprotected from now on.
	if !sweep("d", "bbb", t0) {
		t.Errorf("SweepBlob after removal found a pin left behind")
	}

	// A failing removal removes nothing and keeps the pins.
	boom := errors.New("disk on fire")
	got, err := s.SweepBlob(ctx(t), owner, "d", "ccc", t0.Add(time.Hour), func(context.Context) error { return boom })
	if got || !errors.Is(err, boom) {
		t.Errorf("SweepBlob with a failing remove = %v, %v; want false, the error", got, err)
	}
	if sweep("d", "ccc", t0) {
		t.Errorf("a failed SweepBlob dropped the pin")
	}
	n, err := s.DeleteStalePins(ctx(t), t0.Add(time.Second))
	ok(t, err, "DeleteStalePins")
	if n != 1 {
		t.Errorf("DeleteStalePins = %d; want 1", n)
	}
	if !sweep("d", "ccc", t0) {
		t.Errorf("SweepBlob kept a blob whose pin DeleteStalePins dropped")
	}
	want := []string{"e/aaa", "d/bbb", "d/bbb", "d/ccc"}
	deepEqual(t, "removals", removed, want)
	ok(t, s.UnpinBlobs(ctx(t), nil), "UnpinBlobs none")
}

// testLeases: one holder at a time until the lease expires or is released.
func testLeases(t *testing.T, s store.Store) {
	t0 := time.UnixMilli(1_700_000_000_000).UTC()
	acquire := func(holder string, now time.Time, want bool) {
		t.Helper()
		got, err := s.AcquireLease(ctx(t), "gc", holder, now, time.Minute)
		ok(t, err, "AcquireLease "+holder)
		if got != want {
			t.Errorf("AcquireLease(%s at +%v) = %v; want %v", holder, now.Sub(t0), got, want)
		}
	}
	acquire("a", t0, true)
	acquire("b", t0.Add(time.Second), false)
	acquire("a", t0.Add(30*time.Second), true) // renewed until +90s
	acquire("b", t0.Add(80*time.Second), false)
	acquire("b", t0.Add(90*time.Second), true) // expired: taken over
	acquire("a", t0.Add(91*time.Second), false)
	ok(t, s.ReleaseLease(ctx(t), "gc", "a"), "ReleaseLease by a non-holder")
	acquire("a", t0.Add(92*time.Second), false)
	ok(t, s.ReleaseLease(ctx(t), "gc", "b"), "ReleaseLease")
	acquire("a", t0.Add(93*time.Second), true)
	// Leases are independent by name.
	got, err := s.AcquireLease(ctx(t), "other", "b", t0.Add(93*time.Second), time.Minute)
	if err != nil || !got {
		t.Errorf("AcquireLease of another name = %v, %v; want true", got, err)
	}
}
