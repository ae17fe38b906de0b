package packages_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/formats/npm"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
	"github.com/wharf-dev/wharf/internal/upstream/upstreamtest"
)

// LookupsUnchanged repeats a resolution's lookups with the check each
// document passed when first fetched: a refresh that brings a cut-short
// document reports a change but does not replace the good copy in the cache
// (it is what an outage then serves).
func TestLookupsUnchangedKeepsTheValidityCheck(t *testing.T) {
	e := newEnv(t)
	e.servePackument("left-pad", map[string][]byte{"1.0.0": []byte("bytes")}, nil)
	// Every lookup goes to the upstream (no fresh period).
	u, _ := url.Parse(e.up.URL)
	fetcher, err := upstream.New(upstream.Sources{conn: u}, e.st, upstream.Options{MetadataTTL: time.Nanosecond, FailureBackoff: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	eng := &packages.Engine{Store: e.st, Blobs: e.eng.Blobs, Upstream: fetcher}
	eng.Register(npm.Format{})
	res, err := eng.Resolve(e.ctx, npm.Format{}, e.chain("app"), "", "left-pad")
	if err != nil || res.Listing == nil || len(res.Lookups) != 1 {
		t.Fatalf("Resolve: %v, %+v", err, res)
	}
	e.up.Fail("/left-pad", upstreamtest.ShortNoLength) // a cut the transport cannot see
	if eng.LookupsUnchanged(e.ctx, res.Lookups) {
		t.Fatal("LookupsUnchanged after the document was refreshed")
	}
	e.up.Fail("/left-pad", upstreamtest.Status500)
	res, err = eng.Resolve(e.ctx, npm.Format{}, e.chain("app"), "", "left-pad")
	if err != nil || res.Listing == nil || !res.Stale {
		t.Fatalf("in the outage: %v, listing %v, stale %v, external error %v; want the good copy, stale", err, res.Listing, res.Stale, res.ExternalErr)
	}
}
