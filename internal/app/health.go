package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// upstreamWarnings lists the external connections that repositories hold but
// that have no upstream URL: a newcomer who associates public:npmjs on a wharf
// started without --upstream otherwise only sees 404s. It is recomputed at
// start-up, after an association changes and after a configuration reload, and
// served from memory by /healthz (an unauthenticated probe must stay cheap).
type upstreamWarnings struct {
	mu       sync.Mutex
	warnings []string
}

func (u *upstreamWarnings) get() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.warnings
}

// refresh rescans every repository (all domains, all accounts).
func (a *App) refreshUpstreamWarnings(ctx context.Context) []string {
	var out []string
	page := store.Page{Limit: 1000}
	for {
		repos, next, err := a.store.ListRepositories(ctx, store.RepositoryFilter{}, page)
		if err != nil {
			a.log.WarnContext(ctx, "checking external connections", "err", err)
			return a.upstreamWarnings.get()
		}
		for _, r := range repos {
			for _, ec := range r.ExternalConnections {
				if !a.Upstream.Configured(ec.Name) {
					out = append(out, fmt.Sprintf("repository %s in domain %s (owner %s): %s", r.Name, r.DomainName, r.DomainOwner, upstream.NotConfiguredHint(ec.Name)))
				}
			}
		}
		if next == "" {
			break
		}
		page.Cursor = next
	}
	sort.Strings(out)
	a.upstreamWarnings.mu.Lock()
	a.upstreamWarnings.warnings = out
	a.upstreamWarnings.mu.Unlock()
	return out
}

// healthDetail is the /healthz body: "ok" and one "warning:" line per problem.
func (a *App) healthDetail() string {
	var b strings.Builder
	b.WriteString("ok\n")
	for _, w := range a.upstreamWarnings.get() {
		b.WriteString("warning: ")
		b.WriteString(w)
		b.WriteString("\n")
	}
	return b.String()
}
