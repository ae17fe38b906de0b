package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	blobfs "github.com/wharf-dev/wharf/internal/blob/fs"
	"github.com/wharf-dev/wharf/internal/blobgc"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// The blob collector (internal/blobgc) over this store and the real disk
// blob store: what disposal dereferences goes, what anything references or
// a writer pins stays, a pass removes old orphans under its lease, and a
// publish of the same bytes racing a sweep keeps its blob.

const gcNS = owner + "/d"

type gcFixture struct {
	t     *testing.T
	s     store.Store
	disk  *blobfs.Store
	write blob.Backend // the pinning backend writers go through
	c     *blobgc.Collector
}

func newGCFixture(t *testing.T, s store.Store) *gcFixture {
	disk, err := blobfs.New(t.TempDir())
	ok(t, err, "blob store")
	mkDomain(t, s, owner, "d")
	mkRepo(t, s, owner, "d", "r1")
	return &gcFixture{t: t, s: s, disk: disk, write: blobgc.Pinning(disk, s, nil),
		c: &blobgc.Collector{Store: s, Blobs: disk, Grace: time.Hour}}
}

// put stores content as a writer does (pinned), in ctx's pin set if any.
func (f *gcFixture) put(ctx context.Context, content string) string {
	f.t.Helper()
	h, _, err := blob.PutContent(ctx, f.write, gcNS, bytes.NewReader([]byte(content)), "")
	ok(f.t, err, "put "+content)
	return h.SHA256
}

func (f *gcFixture) publish(ctx context.Context, version string, shas ...string) {
	f.t.Helper()
	k := pkgKey("r1", model.FormatGeneric, "ns", "p")
	var as []model.Asset
	for i, sha := range shas {
		as = append(as, model.Asset{Name: "a" + string(rune('0'+i)), Size: 1, Hashes: model.Hashes{SHA256: sha}})
	}
	ok(f.t, f.s.CreateVersion(ctx, newPkg(k), newVersion(k, version), as), "CreateVersion "+version)
}

func (f *gcFixture) present(sha string) bool {
	f.t.Helper()
	_, err := os.Stat(f.path(sha))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		f.t.Fatal(err)
	}
	return err == nil
}

// path is where the disk store keeps a blob of the domain (its layout is
// part of what the data-directory test checks: the file is gone).
func (f *gcFixture) path(sha string) string {
	return filepath.Join(f.disk.Root(), owner+"%2Fd", "sha256", sha[0:2], sha[2:4], sha)
}

func testCollectorDispose(t *testing.T, s store.Store) {
	f := newGCFixture(t, s)
	ctx, release := blobgc.Track(ctx(t), s)
	shared, only := f.put(ctx, "shared bytes"), f.put(ctx, "bytes of 1.0.0 only")
	f.publish(ctx, "1.0.0", shared, only)
	f.publish(ctx, "2.0.0", shared)
	release(ctx)

	k := pkgKey("r1", model.FormatGeneric, "ns", "p")
	gone, err := s.DeleteAssets(ctx, k, "1.0.0")
	ok(t, err, "DeleteAssets")
	n, err := f.c.Sweep(ctx, owner, "d", []string{gone[0].Hashes.SHA256, gone[1].Hashes.SHA256})
	ok(t, err, "Sweep")
	if n != 1 || f.present(only) || !f.present(shared) {
		t.Errorf("Sweep removed %d; 1.0.0's own blob present %v (want false), shared present %v (want true)", n, f.present(only), f.present(shared))
	}
}

func testCollectorPins(t *testing.T, s store.Store) {
	f := newGCFixture(t, s)
	// A writer that stored bytes and has not recorded them yet (its request
	// still runs) keeps them, however the sweep is asked.
	wctx, release := blobgc.Track(ctx(t), s)
	sha := f.put(wctx, "in flight")
	if n, err := f.c.Sweep(ctx(t), owner, "d", []string{sha}); err != nil || n != 0 || !f.present(sha) {
		t.Fatalf("Sweep of a pinned blob = %d, %v, present %v; want it kept", n, err, f.present(sha))
	}
	if st, err := f.c.Pass(ctx(t)); err != nil || !st.Ran || st.Removed != 0 {
		t.Fatalf("Pass with a pinned fresh blob = %+v, %v; want it kept", st, err)
	}
	// The request ends without recording it (a refused publish): an orphan.
	release(wctx)
	if n, err := f.c.Sweep(ctx(t), owner, "d", []string{sha}); err != nil || n != 1 || f.present(sha) {
		t.Errorf("Sweep of a released orphan = %d, %v, present %v; want it removed", n, err, f.present(sha))
	}
}

// testCollectorHold: a copy holding blobs it is about to reference keeps
// them from a sweep until its request ends, and learns when one is gone.
func testCollectorHold(t *testing.T, s store.Store) {
	f := newGCFixture(t, s)
	wctx, release := blobgc.Track(ctx(t), s)
	sha := f.put(wctx, "copied bytes")
	release(wctx)
	cctx, done := blobgc.Track(ctx(t), s)
	ok(t, f.c.Hold(cctx, owner, "d", []string{sha}), "Hold")
	if n, err := f.c.Sweep(ctx(t), owner, "d", []string{sha}); err != nil || n != 0 || !f.present(sha) {
		t.Fatalf("Sweep of a held blob = %d, %v; want it kept", n, err)
	}
	done(cctx)
	if n, err := f.c.Sweep(ctx(t), owner, "d", []string{sha}); err != nil || n != 1 {
		t.Fatalf("Sweep after the copy's request = %d, %v; want it removed (nothing recorded a reference)", n, err)
	}
	err := f.c.Hold(ctx(t), owner, "d", []string{sha})
	wantKind(t, err, apperr.NotFound, "Hold of a removed blob")
}

func testCollectorPass(t *testing.T, s store.Store) {
	f := newGCFixture(t, s)
	// An orphan whose writer never released its pin (a crash), one recorded
	// by a version, and one stored just now by a writer of an older wharf
	// (no pin: only its stored time protects it).
	threeHoursAgo := func() time.Time { return time.Now().Add(-3 * time.Hour) }
	h, _, err := blob.PutContent(ctx(t), blobgc.Pinning(f.disk, s, threeHoursAgo), gcNS, bytes.NewReader([]byte("orphan")), "")
	ok(t, err, "put orphan")
	orphan := h.SHA256
	wctx, release := blobgc.Track(ctx(t), s)
	kept := f.put(wctx, "kept")
	f.publish(wctx, "1.0.0", kept)
	release(wctx)
	fresh, _, err := f.disk.Put(ctx(t), gcNS, bytes.NewReader([]byte("fresh")), "")
	ok(t, err, "unpinned put")
	for _, sha := range []string{orphan, kept} {
		old := threeHoursAgo()
		ok(t, os.Chtimes(f.path(sha), old, old), "age "+sha)
	}
	// Another replica holds the lease: this one does nothing.
	got, err := s.AcquireLease(ctx(t), "blob-gc", "other-replica", time.Now(), time.Minute)
	if err != nil || !got {
		t.Fatalf("AcquireLease: %v %v", got, err)
	}
	if st, err := f.c.Pass(ctx(t)); err != nil || st.Ran {
		t.Fatalf("Pass while another replica holds the lease = %+v, %v; want not run", st, err)
	}
	ok(t, s.ReleaseLease(ctx(t), "blob-gc", "other-replica"), "ReleaseLease")
	st, err := f.c.Pass(ctx(t))
	ok(t, err, "Pass")
	if !st.Ran || st.Removed != 1 || f.present(orphan) || !f.present(kept) || !f.present(fresh.SHA256) {
		t.Errorf("Pass = %+v; orphan present %v (want false), referenced %v, fresh %v (want true)",
			st, f.present(orphan), f.present(kept), f.present(fresh.SHA256))
	}
	if st.StalePinsDropped != 1 {
		t.Errorf("Pass dropped %d stale pins; want the orphan's 1", st.StalePinsDropped)
	}
	// The lease was released: the next pass runs at once.
	if st, err := f.c.Pass(ctx(t)); err != nil || !st.Ran {
		t.Errorf("second Pass = %+v, %v; want it to run", st, err)
	}
}

// signalStore reports when a pin is being taken.
type signalStore struct {
	store.Store
	pinning chan struct{}
}

func (s *signalStore) PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error {
	if s.pinning != nil {
		close(s.pinning)
		s.pinning = nil
	}
	return s.Store.PinBlob(ctx, owner, domain, sha256, id, at)
}

// hookBackend runs beforeDelete just before an object is deleted.
type hookBackend struct {
	blob.Backend
	beforeDelete func()
}

func (h *hookBackend) Delete(ctx context.Context, ns, key string) error {
	if h.beforeDelete != nil {
		h.beforeDelete()
	}
	return h.Backend.Delete(ctx, ns, key)
}

// holdBackend holds a Commit until released, after its pin was taken.
type holdBackend struct {
	blob.Backend
	committing chan struct{}
	proceed    chan struct{}
}

func (h *holdBackend) Create(ctx context.Context, ns string) (blob.Pending, error) {
	p, err := h.Backend.Create(ctx, ns)
	return &holdPending{Pending: p, h: h}, err
}

type holdPending struct {
	blob.Pending
	h *holdBackend
}

func (p *holdPending) Commit(key string) error {
	close(p.h.committing)
	<-p.h.proceed
	return p.Pending.Commit(key)
}

// testCollectorRacingPublish: a publish of bytes the collector is removing
// ends with its blob stored, whichever comes first.
func testCollectorRacingPublish(t *testing.T, s store.Store) {
	k := pkgKey("r1", model.FormatGeneric, "ns", "p")
	const content = "the same bytes again"
	f := newGCFixture(t, s)
	setup := func() (*gcFixture, string) {
		ctx, release := blobgc.Track(ctx(t), s)
		sha := f.put(ctx, content)
		_ = s.DeletePackage(ctx, k) // the previous subtest's
		f.publish(ctx, "1.0.0", sha)
		release(ctx)
		_, err := s.DeleteAssets(ctx, k, "1.0.0") // disposed
		ok(t, err, "DeleteAssets")
		return f, sha
	}
	check := func(f *gcFixture, sha, version string) {
		t.Helper()
		assets, err := s.ListAssets(ctx(t), k, version)
		ok(t, err, "ListAssets "+version)
		if len(assets) != 1 || assets[0].Hashes.SHA256 != sha {
			t.Fatalf("%s assets = %+v", version, assets)
		}
		rc, _, err := f.disk.Open(ctx(t), gcNS, sha)
		if err != nil {
			t.Fatalf("the blob %s version %s references is gone: %v", sha, version, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != content {
			t.Fatalf("blob content %q", b)
		}
	}

	t.Run("publish pinned first", func(t *testing.T) {
		f, sha := setup()
		hold := &holdBackend{Backend: f.disk, committing: make(chan struct{}), proceed: make(chan struct{})}
		writer := blobgc.Pinning(hold, s, nil)
		done := make(chan error, 1)
		go func() {
			ctx, release := blobgc.Track(context.Background(), s)
			defer release(ctx)
			if _, _, err := blob.PutContent(ctx, writer, gcNS, bytes.NewReader([]byte(content)), ""); err != nil {
				done <- err
				return
			}
			done <- s.CreateVersion(ctx, newPkg(k), newVersion(k, "2.0.0"), []model.Asset{{Name: "a0", Size: 1, Hashes: model.Hashes{SHA256: sha}}})
		}()
		<-hold.committing // pinned, about to find the object present
		n, err := f.c.Sweep(ctx(t), owner, "d", []string{sha})
		ok(t, err, "Sweep")
		if n != 0 {
			t.Errorf("Sweep removed a blob a publish had pinned")
		}
		close(hold.proceed)
		ok(t, <-done, "publish")
		check(f, sha, "2.0.0")
	})

	t.Run("publish during the removal", func(t *testing.T) {
		f, sha := setup()
		sig := &signalStore{Store: s, pinning: make(chan struct{})}
		pinningNow := sig.pinning
		writer := blobgc.Pinning(f.disk, sig, nil)
		done := make(chan error, 1)
		hook := &hookBackend{Backend: f.disk}
		hook.beforeDelete = func() {
			hook.beforeDelete = nil
			// The sweep has decided; a publish of the same bytes starts now
			// and must not find (and keep) the object being removed.
			go func() {
				ctx, release := blobgc.Track(context.Background(), s)
				defer release(ctx)
				if _, _, err := blob.PutContent(ctx, writer, gcNS, bytes.NewReader([]byte(content)), ""); err != nil {
					done <- err
					return
				}
				done <- s.CreateVersion(ctx, newPkg(k), newVersion(k, "2.0.0"), []model.Asset{{Name: "a0", Size: 1, Hashes: model.Hashes{SHA256: sha}}})
			}()
			<-pinningNow
		}
		c := &blobgc.Collector{Store: s, Blobs: hook, Grace: time.Hour}
		n, err := c.Sweep(ctx(t), owner, "d", []string{sha})
		ok(t, err, "Sweep")
		if n != 1 {
			t.Errorf("Sweep removed %d; want the disposed blob", n)
		}
		if err := <-done; err != nil && !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("publish: %v", err)
		}
		check(f, sha, "2.0.0")
	})
}
