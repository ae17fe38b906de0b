// Package coord makes wharf replicas that share one database act as one where
// doing a thing once matters: a named lock held across processes, so that a
// cold upstream asset is fetched by one replica while the others wait and
// then find it stored.
//
// In-process coalescing (singleflight in internal/upstream) still comes
// first: a replica takes the cluster lock once per flight, not per caller.
package coord

import "context"

// Locker hands out cluster-wide named locks.
type Locker interface {
	// Lock blocks until the caller holds name across every replica, or ctx
	// ends (then it returns ctx's error). unlock releases it; a replica that
	// dies releases what it held.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// Local is the Locker of a single process (SQLite: one wharf owns the data):
// in-process coalescing already does the work, so it never waits.
type Local struct{}

// Lock implements Locker.
func (Local) Lock(ctx context.Context, name string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
