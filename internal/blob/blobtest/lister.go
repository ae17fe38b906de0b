package blobtest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
)

// NSOdd is a namespace with bytes a backend must escape ("/", ".", "%", a
// space), so listing has to map stored names back to it exactly.
const NSOdd = "222222222222/odd.name %2F x"

// RunLister runs the blob.Lister part of the suite (what the blob collector,
// internal/blobgc, relies on). newBackend returns an empty backend for each
// subtest, implementing blob.Lister. large is a size that takes the
// backend's streaming write path (S3: past its part size, written under a
// temporary key first); those temporary objects must never be listed.
func RunLister(t *testing.T, newBackend func(testing.TB) blob.Backend, large int) {
	tests := []struct {
		name string
		fn   func(*testing.T, blob.Backend, blob.Lister, int)
	}{
		{"ListsCommittedOnly", testListCommitted},
		{"DeletedNotListed", testListDeleted},
		{"RecommitRenewsStored", testListRecommit},
		{"InvalidNamespace", testListInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackend(t)
			l, ok := b.(blob.Lister)
			if !ok {
				t.Fatalf("%T does not implement blob.Lister", b)
			}
			tc.fn(t, b, l, large)
		})
	}
}

// listed returns ns's keys (sorted) and when each was stored.
func listed(t testing.TB, l blob.Lister, ns string) ([]string, map[string]time.Time) {
	t.Helper()
	var keys []string
	at := map[string]time.Time{}
	err := l.List(context.Background(), ns, func(key string, stored time.Time) error {
		if _, dup := at[key]; dup {
			t.Errorf("List(%s) reported %s twice", ns, key)
		}
		keys = append(keys, key)
		at[key] = stored
		return nil
	})
	if err != nil {
		t.Fatalf("List(%s): %v", ns, err)
	}
	slices.Sort(keys)
	return keys, at
}

func namespaces(t testing.TB, l blob.Lister) []string {
	t.Helper()
	nss, err := l.Namespaces(context.Background())
	if err != nil {
		t.Fatalf("Namespaces: %v", err)
	}
	slices.Sort(nss)
	return nss
}

func putBackend(t testing.TB, b blob.Backend, ns string, data []byte) string {
	t.Helper()
	h, _, err := blob.PutContent(context.Background(), b, ns, bytes.NewReader(data), "")
	if err != nil {
		t.Fatalf("PutContent(%d bytes): %v", len(data), err)
	}
	return h.SHA256
}

func testListCommitted(t *testing.T, b blob.Backend, l blob.Lister, large int) {
	ctx := context.Background()
	if nss := namespaces(t, l); len(nss) != 0 {
		t.Fatalf("a new backend lists namespaces %q", nss)
	}
	if keys, _ := listed(t, l, NS); len(keys) != 0 {
		t.Fatalf("an empty namespace lists %q", keys)
	}
	before := time.Now()
	want := []string{
		putBackend(t, b, NS, Data(1, 10)),
		putBackend(t, b, NS, Data(2, 70000)),
		putBackend(t, b, NS, Data(3, large)),
	}
	slices.Sort(want)
	odd := putBackend(t, b, NSOdd, Data(4, 5))
	two := putBackend(t, b, NS2, Data(5, 5))

	// Writes that were aborted or are still going on are not objects.
	p, err := b.Create(ctx, NS)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(Data(6, large))
	p.Abort()
	open, err := b.Create(ctx, NS)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Abort()
	if _, err := open.Write(Data(7, large)); err != nil {
		t.Fatal(err)
	}

	if got, wantNS := namespaces(t, l), []string{NS, NS2, NSOdd}; !slices.Equal(got, sortedCopy(wantNS)) {
		t.Errorf("Namespaces = %q, want %q", got, sortedCopy(wantNS))
	}
	keys, at := listed(t, l, NS)
	if !slices.Equal(keys, want) {
		t.Errorf("List(%s) = %q, want the three committed keys %q", NS, keys, want)
	}
	// A sanity window only (object stores keep whole seconds; the bound
	// is generous, nothing here depends on speed).
	for k, stored := range at {
		if stored.Before(before.Add(-time.Hour)) || stored.After(time.Now().Add(time.Hour)) {
			t.Errorf("%s stored at %v, not around now (%v)", k, stored, before)
		}
	}
	if keys, _ := listed(t, l, NSOdd); !slices.Equal(keys, []string{odd}) {
		t.Errorf("List(%q) = %q, want [%s]", NSOdd, keys, odd)
	}
	if keys, _ := listed(t, l, NS2); !slices.Equal(keys, []string{two}) {
		t.Errorf("List(%s) = %q, want [%s]", NS2, keys, two)
	}
	// fn's error stops the listing and is returned as is.
	stop := apperr.Validationf("stop")
	calls := 0
	if err := l.List(ctx, NS, func(string, time.Time) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("List with a failing fn: %v after %d calls, want the fn's error after 1", err, calls)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func testListDeleted(t *testing.T, b blob.Backend, l blob.Lister, large int) {
	keep := putBackend(t, b, NS, Data(1, 10))
	gone := putBackend(t, b, NS, Data(2, large))
	if err := b.Delete(context.Background(), NS, gone); err != nil {
		t.Fatal(err)
	}
	if keys, _ := listed(t, l, NS); !slices.Equal(keys, []string{keep}) {
		t.Errorf("List after Delete = %q, want [%s]", keys, keep)
	}
}

// testListRecommit: committing a key already present counts as storing it
// again (blob.Lister's contract), on both write paths. Stored times may
// have whole-second resolution, so the test waits for the clock to pass
// the first stored time by a second: a wait for an event, not a timing
// assertion.
func testListRecommit(t *testing.T, b blob.Backend, l blob.Lister, large int) {
	small, big := Data(1, 10), Data(2, large)
	keys := []string{putBackend(t, b, NS, small), putBackend(t, b, NS, big)}
	_, first := listed(t, l, NS)
	latest := first[keys[0]]
	if first[keys[1]].After(latest) {
		latest = first[keys[1]]
	}
	for time.Now().Before(latest.Add(1100 * time.Millisecond)) {
		time.Sleep(100 * time.Millisecond)
	}
	putBackend(t, b, NS, small)
	putBackend(t, b, NS, big)
	_, again := listed(t, l, NS)
	for _, k := range keys {
		if !again[k].After(first[k]) {
			t.Errorf("%s: stored %v after committing it again, %v before; want later", k, again[k], first[k])
		}
	}
}

func testListInvalid(t *testing.T, b blob.Backend, l blob.Lister, large int) {
	err := l.List(context.Background(), "", func(string, time.Time) error { return nil })
	wantKind(t, err, apperr.Validation, "List of an empty namespace name")
}
