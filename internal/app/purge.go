package app

import (
	"context"
	"time"
)

// Expired authorization tokens are deleted in the background: every
// tokenPurgeInterval, at most tokenPurgeBatches batches of tokenPurgeBatch rows,
// so the work per round is bounded however many tokens expired meanwhile (the
// rest goes in the next round). Validation refuses an expired token whether or
// not its row is gone yet.
const (
	tokenPurgeInterval = 10 * time.Minute
	tokenPurgeBatch    = 1000
	tokenPurgeBatches  = 10
)

// purgeExpiredTokens runs until ctx ends.
func (a *App) purgeExpiredTokens(ctx context.Context) {
	t := time.NewTicker(tokenPurgeInterval)
	defer t.Stop()
	for {
		a.purgeTokensOnce(ctx, time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeTokensOnce is one bounded round; it returns how many rows went.
func (a *App) purgeTokensOnce(ctx context.Context, now time.Time) int64 {
	var total int64
	for range tokenPurgeBatches {
		n, err := a.store.DeleteExpiredTokens(ctx, now, tokenPurgeBatch)
		total += n
		if err != nil {
			if ctx.Err() == nil {
				a.log.Warn("purging expired authorization tokens", "err", err)
			}
			break
		}
		if n < tokenPurgeBatch {
			break
		}
	}
	if total > 0 {
		a.log.Info("purged expired authorization tokens", "count", total)
	}
	return total
}
