package app

import (
	"context"
	"time"
)

// PurgeTokensOnce runs one bounded purge round (for tests).
func (a *App) PurgeTokensOnce(ctx context.Context, now time.Time) int64 {
	return a.purgeTokensOnce(ctx, now)
}
