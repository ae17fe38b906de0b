package packages_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/formats/npm"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/cached"
)

// counting counts the row lookups resolving a file makes.
type counting struct {
	store.Store
	lookups atomic.Int64
}

func (c *counting) GetRepository(ctx context.Context, owner, domain, name string) (model.Repository, error) {
	c.lookups.Add(1)
	return c.Store.GetRepository(ctx, owner, domain, name)
}

func (c *counting) GetVersion(ctx context.Context, k model.PackageKey, version string) (model.PackageVersion, error) {
	c.lookups.Add(1)
	return c.Store.GetVersion(ctx, k, version)
}

func (c *counting) ListAssets(ctx context.Context, k model.PackageKey, version string) ([]model.Asset, error) {
	c.lookups.Add(1)
	return c.Store.ListAssets(ctx, k, version)
}

// FetchFile serves a file the requesting repository holds again from its
// memo, with no row lookup, until a write moves the domain's generation; a
// file found in an upstream repository is resolved (and retained) first.
func TestFetchFileMemo(t *testing.T) {
	e := newEnv(t)
	cs := &counting{Store: cached.New(e.st, cached.Options{})}
	e.eng.Store = cs
	e.eng.EnableFileMemo(1 << 20)
	if err := e.publishNpm("ci", "", "left-pad", "1.0.0", []byte("the tarball")); err != nil {
		t.Fatal(err)
	}
	fetch := func(repo, version string) (*packages.File, int64, error) {
		t.Helper()
		before := cs.lookups.Load()
		f, err := e.eng.FetchFile(e.ctx, npm.Format{}, e.repos[repo], "", "left-pad", version, npm.AssetName, false)
		return f, cs.lookups.Load() - before, err
	}
	f1, n1, err := fetch("ci", "1.0.0")
	if err != nil || n1 == 0 {
		t.Fatalf("first fetch: %v, %d lookups", err, n1)
	}
	f2, n2, err := fetch("ci", "1.0.0")
	if err != nil || n2 != 0 || f2 != f1 {
		t.Fatalf("second fetch: %v, %d lookups, same file %v; want the memoized one with no lookup", err, n2, f2 == f1)
	}
	if f1.ETag[0] != `"`+f1.Asset.Hashes.SHA256+`"` || f1.ContentLength[0] != "11" {
		t.Fatalf("headers: ETag %q, Content-Length %q", f1.ETag[0], f1.ContentLength[0])
	}
	rc, size, err := e.eng.OpenFile(e.ctx, f2)
	if err != nil || size != 11 {
		t.Fatalf("OpenFile: %v, %d bytes", err, size)
	}
	rc.Close()

	// HeldFile answers the held file as FetchFile does, and ErrNotHeld
	// (nothing fetched) for one no repository of the chain holds.
	if f, err := e.eng.HeldFile(e.ctx, model.FormatNpm, e.repos["ci"], "", "left-pad", "1.0.0", npm.AssetName, false); err != nil || f != f1 {
		t.Fatalf("HeldFile of a held file: %v, memoized %v", err, f == f1)
	}
	if _, err := e.eng.HeldFile(e.ctx, model.FormatNpm, e.repos["ci"], "", "left-pad", "9.9.9", npm.AssetName, false); !errors.Is(err, packages.ErrNotHeld) {
		t.Fatalf("HeldFile of a version nobody holds: %v, want ErrNotHeld", err)
	}

	// A status change through the store moves the generation: the very
	// next fetch resolves again and sees it.
	k := packages.Key(e.repos["ci"], model.FormatNpm, "", "left-pad")
	v, err := cs.GetVersion(e.ctx, k, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	v.Status = model.StatusArchived
	if err := cs.UpdateVersion(e.ctx, v); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fetch("ci", "1.0.0"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("fetch of an archived version: %v, want NotFound", err)
	}

	// Found upstream (store, app's upstream): retained in app, not
	// memoized for app until app holds it.
	if err := e.publishNpm("store", "", "left-pad", "2.0.0", []byte("another tarball")); err != nil {
		t.Fatal(err)
	}
	before, _ := e.eng.FileMemoStats()
	if _, _, err := fetch("app", "2.0.0"); err != nil {
		t.Fatal(err)
	}
	if after, _ := e.eng.FileMemoStats(); after != before {
		t.Fatalf("a file found upstream was memoized (%d -> %d entries)", before, after)
	}
	if e.versions("app", "", "left-pad") != 1 {
		t.Fatal("the version found upstream was not retained in app")
	}
	if _, n, err := fetch("app", "2.0.0"); err != nil || n == 0 {
		t.Fatalf("fetch after the retention: %v, %d lookups (it resolves once more, now held by app)", err, n)
	}
	if _, n, err := fetch("app", "2.0.0"); err != nil || n != 0 {
		t.Fatalf("fetch of the retained copy: %v, %d lookups, want the memo", err, n)
	}
}
