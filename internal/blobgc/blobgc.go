// Package blobgc removes blobs that no package version of their domain
// references any more: those a disposal dereferences, right away, and in a
// periodic pass every orphan (a publish refused after its bytes were stored,
// a pull-through whose ingestion lost a race or failed, a crash).
//
// Why it is safe against a publish of the same bytes (blob storage keeps each
// content once per domain, so a new publish may reuse the very object the
// collector is about to delete):
//
//   - every Commit into blob storage is preceded by a pin (Pinning), a row
//     saying "a writer is about to reference this digest of this domain";
//   - a writer records its asset rows, then releases its pins (Track's
//     release, at the end of the request);
//   - the collector decides and deletes in one store call (store.SweepBlob)
//     that excludes pinning of the same digest: a pin that came first keeps
//     the blob; a pin that comes after waits until the object is gone, and the
//     writer's Commit then stores its bytes anew.
//
// A writer that records references to blobs already stored, without storing
// them (CopyPackageVersions, and the retention of a version found upstream
// into a downstream repository: packages.Engine.Hold), pins them with
// Collector.Hold, which also tells it when one is already gone.
//
// A pin never released (a crashed writer, or one whose request ended before a
// detached fetch it started finished) protects its blob for Grace; the
// periodic pass also leaves alone any object stored (or re-stored by a Commit
// that found it present) within Grace, which covers writers that pinned
// nothing (an older wharf during a rolling upgrade). Passes take a store lease
// so that one replica sharing the database runs at a time; per-digest
// exclusion keeps a targeted sweep and a pass safe together.
package blobgc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/blob"
)

// Store is what the collector needs of store.Store.
type Store interface {
	PinBlob(ctx context.Context, owner, domain, sha256, id string, at time.Time) error
	UnpinBlobs(ctx context.Context, ids []string) error
	SweepBlob(ctx context.Context, owner, domain, sha256 string, pinnedSince time.Time, remove func(context.Context) error) (bool, error)
	DeleteStalePins(ctx context.Context, before time.Time) (int64, error)
	AcquireLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// DefaultGrace is how long an unreleased pin, or a freshly stored object,
// protects a blob: far longer than any writer takes from storing its bytes
// to recording its asset rows.
const DefaultGrace = time.Hour

// DefaultInterval is how often Run starts a pass.
const DefaultInterval = 6 * time.Hour

// leaseName is the store lease a pass holds; leaseTTL how long it lasts
// unrenewed (a pass renews it as it goes, so a crashed replica's lease lapses
// within leaseTTL and another replica takes over).
const (
	leaseName = "blob-gc"
	leaseTTL  = 5 * time.Minute
)

// SplitNamespace returns the domain of a blob namespace ("owner/domain", as
// packages.Namespace spells it); ok is false for any other namespace.
func SplitNamespace(ns string) (owner, domain string, ok bool) {
	owner, domain, ok = strings.Cut(ns, "/")
	return owner, domain, ok && owner != "" && domain != "" && !strings.Contains(domain, "/")
}

// NewID returns a random pin or holder id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// --- pins taken by writers ---

type pinSetKey struct{}

// Pins is the set of one request's pins, released together. Track makes
// one; a caller that keeps per-request state in one structure of its own (wharf's
// HTTP middleware) embeds a Pins there instead and uses Context and Release,
// which saves Track's allocations on every request.
type Pins struct {
	mu       sync.Mutex
	ids      []string
	released bool
}

// Track returns a context whose blob writes are pinned into one set, and the
// function that releases them: call it once the request's asset rows are
// recorded (or abandoned). It unpins even when ctx is cancelled (a client
// that went away): an unpinned blob is the collector's to judge again.
func Track(ctx context.Context, st Store) (context.Context, func(context.Context)) {
	set := &Pins{}
	return set.Context(ctx), func(ctx context.Context) { set.Release(ctx, st) }
}

// Context returns ctx with its blob writes pinned into p (see Track).
func (p *Pins) Context(ctx context.Context) context.Context {
	return context.WithValue(ctx, pinSetKey{}, p)
}

// Release unpins p's pins from st (see Track); pins added after it go stale
// by themselves.
func (p *Pins) Release(ctx context.Context, st Store) {
	p.mu.Lock()
	ids := p.ids
	p.ids, p.released = nil, true
	p.mu.Unlock()
	if len(ids) > 0 {
		// A failed release leaves the pins to go stale: safe, only later.
		_ = st.UnpinBlobs(context.WithoutCancel(ctx), ids)
	}
}

func (p *Pins) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.released { // pins added after the release go stale by themselves
		p.ids = append(p.ids, id)
	}
}

// Pinning wraps a backend so that each Commit into a domain's namespace is
// preceded by a pin of its key (see the package comment). Wrap the backend
// the blob.Store layers (envelope, fs) write through.
func Pinning(b blob.Backend, st Store, now func() time.Time) blob.Backend {
	if now == nil {
		now = time.Now
	}
	return &pinning{Backend: b, st: st, now: now}
}

type pinning struct {
	blob.Backend
	st  Store
	now func() time.Time
}

func (p *pinning) Create(ctx context.Context, ns string) (blob.Pending, error) {
	inner, err := p.Backend.Create(ctx, ns)
	if err != nil {
		return nil, err
	}
	return &pinnedPending{Pending: inner, ctx: ctx, ns: ns, p: p}, nil
}

type pinnedPending struct {
	blob.Pending
	ctx context.Context
	ns  string
	p   *pinning
}

func (pp *pinnedPending) Commit(key string) error {
	if owner, domain, ok := SplitNamespace(pp.ns); ok && blob.ValidSHA256(key) {
		id := NewID()
		if err := pp.p.st.PinBlob(pp.ctx, owner, domain, key, id, pp.p.now()); err != nil {
			pp.Pending.Abort()
			return fmt.Errorf("blobgc: pin %s: %w", key, err)
		}
		if set, _ := pp.ctx.Value(pinSetKey{}).(*Pins); set != nil {
			set.add(id)
		}
	}
	return pp.Pending.Commit(key)
}

// Hold pins blobs a writer is about to reference without storing them (a
// copy of versions between repositories records new asset rows for blobs
// already stored), in ctx's pin set, and then checks they are still there:
// a blob the collector removed before the pin answers NotFound, and the
// writer must not record a reference to it.
func (c *Collector) Hold(ctx context.Context, owner, domain string, sha256s []string) error {
	ns := owner + "/" + domain
	set, _ := ctx.Value(pinSetKey{}).(*Pins)
	for _, sha := range sha256s {
		if !blob.ValidSHA256(sha) {
			continue
		}
		id := NewID()
		if err := c.Store.PinBlob(ctx, owner, domain, sha, id, c.now()); err != nil {
			return fmt.Errorf("blobgc: pin %s: %w", sha, err)
		}
		if set != nil {
			set.add(id)
		}
		if _, err := c.Blobs.Stat(ctx, ns, sha); err != nil {
			return err
		}
	}
	return nil
}

// --- the collector ---

// Collector removes unreferenced blobs.
type Collector struct {
	Store Store
	// Blobs is the raw backend (ciphertext stored under the plaintext's
	// digest); a pass needs it to implement blob.Lister.
	Blobs blob.Backend
	// Grace is how long pins and fresh objects protect a blob (DefaultGrace when 0).
	Grace time.Duration
	// Holder names this replica in the pass lease (a random id when "").
	Holder string
	Log    *slog.Logger
	Now    func() time.Time

	holderOnce sync.Once
}

// Stats reports what a pass did.
type Stats struct {
	// Ran is false when another replica held the lease.
	Ran                bool
	Namespaces         int
	Scanned, Removed   int
	StalePinsDropped   int64
	KeptFresh, KeptRef int
}

func (c *Collector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Collector) grace() time.Duration {
	if c.Grace > 0 {
		return c.Grace
	}
	return DefaultGrace
}

func (c *Collector) holder() string {
	c.holderOnce.Do(func() {
		if c.Holder == "" {
			c.Holder = NewID()
		}
	})
	return c.Holder
}

func (c *Collector) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// Sweep removes those of the given blobs of a domain that nothing references
// or pins any more (what a disposal just dereferenced); it returns how many
// went. Fresh objects are not spared here: a writer about to reuse one holds
// a pin.
func (c *Collector) Sweep(ctx context.Context, owner, domain string, sha256s []string) (int, error) {
	ns := owner + "/" + domain
	since := c.now().Add(-c.grace())
	removed := 0
	seen := map[string]bool{}
	var errs []error
	for _, sha := range sha256s {
		if seen[sha] || !blob.ValidSHA256(sha) {
			continue
		}
		seen[sha] = true
		ok, err := c.Store.SweepBlob(ctx, owner, domain, sha, since, func(ctx context.Context) error {
			return c.Blobs.Delete(ctx, ns, sha)
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			removed++
		}
	}
	return removed, errors.Join(errs...)
}

// Pass runs one full collection if no other replica is running one: it drops
// stale pins, then sweeps every object stored before the grace period that no
// asset row of its domain references.
func (c *Collector) Pass(ctx context.Context) (Stats, error) {
	var st Stats
	lister, ok := c.Blobs.(blob.Lister)
	if !ok {
		return st, errors.New("blobgc: the blob backend cannot list its objects")
	}
	got, err := c.Store.AcquireLease(ctx, leaseName, c.holder(), c.now(), leaseTTL)
	if err != nil || !got {
		return st, err
	}
	st.Ran = true
	defer func() { _ = c.Store.ReleaseLease(context.WithoutCancel(ctx), leaseName, c.holder()) }()
	renewed := c.now()

	cutoff := c.now().Add(-c.grace())
	if st.StalePinsDropped, err = c.Store.DeleteStalePins(ctx, cutoff); err != nil {
		return st, err
	}
	nss, err := lister.Namespaces(ctx)
	if err != nil {
		return st, err
	}
	for _, ns := range nss {
		owner, domain, ok := SplitNamespace(ns)
		if !ok {
			continue
		}
		st.Namespaces++
		var candidates []string
		err := lister.List(ctx, ns, func(key string, stored time.Time) error {
			st.Scanned++
			if !stored.Before(cutoff) {
				st.KeptFresh++
				return nil
			}
			candidates = append(candidates, key)
			return nil
		})
		if err != nil {
			return st, err
		}
		for _, sha := range candidates {
			// Renew the lease as the pass goes, and stop if it was lost
			// (this replica stalled past leaseTTL; another took over).
			if c.now().Sub(renewed) > leaseTTL/3 {
				got, err := c.Store.AcquireLease(ctx, leaseName, c.holder(), c.now(), leaseTTL)
				if err != nil {
					return st, err
				}
				if !got {
					return st, errors.New("blobgc: lost the pass lease to another replica")
				}
				renewed = c.now()
			}
			removed, err := c.Store.SweepBlob(ctx, owner, domain, sha, cutoff, func(ctx context.Context) error {
				return c.Blobs.Delete(ctx, ns, sha)
			})
			if err != nil {
				return st, err
			}
			if removed {
				st.Removed++
			} else {
				st.KeptRef++
			}
		}
	}
	return st, nil
}

// Run starts a pass every interval (DefaultInterval when 0) until ctx ends,
// logging what each did.
func (c *Collector) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := c.Pass(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			c.log().Warn("blob garbage collection failed", "err", err, "removed", st.Removed)
		case st.Ran:
			c.log().Info("blob garbage collection", "namespaces", st.Namespaces, "scanned", st.Scanned,
				"removed", st.Removed, "kept_fresh", st.KeptFresh, "kept_referenced", st.KeptRef, "stale_pins", st.StalePinsDropped)
		}
	}
}
