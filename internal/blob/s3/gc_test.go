package s3_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/blob/blobtest"
	"github.com/wharf-dev/wharf/internal/blobgc"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
)

// TestCollectorPass: the blob collector's periodic pass works on S3 (it
// needs blob.Lister): an orphan, small or multipart-sized, is removed once
// older than the grace period; a referenced blob stays; nothing is removed
// while everything is fresh. S3 cannot age an object, so the collector's
// clock is moved forward instead.
func TestCollectorPass(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const owner, domain = "000000000000", "d"
	ns := owner + "/" + domain
	now := time.Now().UTC()
	must(t, db.CreateDomain(ctx, model.Domain{Name: domain, Owner: owner, Region: "us-east-1", Status: "Active",
		CreatedAt: now, EncryptionKey: "arn:aws:kms:us-east-1:" + owner + ":key/d"}))
	must(t, db.CreateRepository(ctx, model.Repository{Name: "r1", DomainName: domain, DomainOwner: owner,
		AdministratorAccount: owner, Region: "us-east-1", CreatedAt: now}))

	st := newStoreWith(t, pathStyle, smallPart)
	// Orphans whose writers crashed (their pins went stale hours ago).
	longAgo := func() time.Time { return time.Now().Add(-3 * time.Hour) }
	var orphans []string
	for i, n := range []int{10, smallPart + 1} {
		h, _, err := blob.PutContent(ctx, blobgc.Pinning(st, db, longAgo), ns, bytes.NewReader(blobtest.Data(uint64(i), n)), "")
		must(t, err)
		orphans = append(orphans, h.SHA256)
	}
	// A blob a version references, stored as a publish stores it.
	wctx, release := blobgc.Track(ctx, db)
	h, size, err := blob.PutContent(wctx, blobgc.Pinning(st, db, nil), ns, bytes.NewReader([]byte("kept")), "")
	must(t, err)
	kept := h.SHA256
	k := model.PackageKey{DomainOwner: owner, DomainName: domain, Repository: "r1", Format: model.FormatGeneric, Namespace: "ns", Name: "p"}
	must(t, db.CreateVersion(wctx, model.Package{PackageKey: k, Origin: model.OriginRestrictions{Publish: model.Allow, Upstream: model.Allow}},
		model.PackageVersion{PackageKey: k, Version: "1.0.0", Status: model.StatusPublished, Revision: "r",
			Origin: model.VersionOrigin{Type: model.OriginInternal, Repository: "r1"}, PublishedAt: now},
		[]model.Asset{{Name: "a", Size: size, Hashes: h}}))
	release(wctx)

	present := func(sha string) bool {
		t.Helper()
		_, err := st.Stat(ctx, ns, sha)
		if err != nil && apperr.KindOf(err) != apperr.NotFound {
			t.Fatal(err)
		}
		return err == nil
	}

	c := &blobgc.Collector{Store: db, Blobs: st, Grace: time.Hour}
	stats, err := c.Pass(ctx)
	must(t, err)
	if !stats.Ran || stats.Removed != 0 || stats.KeptFresh != 3 {
		t.Fatalf("Pass with everything stored just now = %+v; want all 3 kept as fresh", stats)
	}
	c.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	stats, err = c.Pass(ctx)
	must(t, err)
	if !stats.Ran || stats.Namespaces != 1 || stats.Scanned != 3 || stats.Removed != 2 {
		t.Errorf("Pass two hours on = %+v; want 3 scanned in 1 namespace, the 2 orphans removed", stats)
	}
	for _, sha := range orphans {
		if present(sha) {
			t.Errorf("orphan %s still stored", sha)
		}
	}
	if !present(kept) {
		t.Errorf("referenced blob %s removed", kept)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
