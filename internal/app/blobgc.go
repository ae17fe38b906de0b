package app

import (
	"context"

	"github.com/wharf-dev/wharf/internal/blobgc"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/store"
)

// collectBlobs runs a collection pass every --gc-interval until ctx ends
// (never with 0). Replicas sharing a database take turns through the
// store's lease, so each interval one of them does the work.
func (a *App) collectBlobs(ctx context.Context) {
	if a.cfg.GCInterval <= 0 {
		return
	}
	a.GC.Run(ctx, a.cfg.GCInterval)
}

// OpenCollector opens the metadata store and blob storage for a collection
// pass beside (or without) a running server: `wharf gc`. Close the store
// when done.
func OpenCollector(ctx context.Context, cfg *config.Config) (*blobgc.Collector, store.Store, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	disk, err := blobBackend(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return &blobgc.Collector{Store: st, Blobs: disk, Grace: cfg.GCGrace}, st, nil
}
