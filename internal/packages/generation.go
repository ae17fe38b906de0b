package packages

import (
	"context"

	"github.com/wharf-dev/wharf/internal/model"
)

// Generation is the repository's domain's change counter
// (store.Store.Generation): anything derived from the domain's metadata — a
// rendered packument — stays valid while it is unchanged. Read it before
// reading what the derived value is built from.
func (e *Engine) Generation(ctx context.Context, repo model.Repository) (int64, error) {
	return e.Store.Generation(ctx, repo.DomainOwner, repo.DomainName)
}
