package packages

import (
	"context"
	"sort"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// listPage is how many package rows PackageNames reads per store call.
const listPage = 1000

// PackageNames lists the names of the packages of a format held by the
// chain's repositories: the index a package manager's "all packages" page
// shows. External connections are not listed: a public registry's catalogue
// is not the domain's. (Origin controls need no filtering here: upstream=BLOCK
// lives on the requesting repository's own package row, so a blocked name is
// one that repository holds and lists anyway.) Namespaced names are spelled
// as the format spells them (@scope/name, group:artifact); the result is
// sorted and free of duplicates.
func (e *Engine) PackageNames(ctx context.Context, c Chain, f model.Format) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, repo := range c.Repos {
		cursor := ""
		for {
			pkgs, next, err := e.Store.ListPackages(ctx, repo.DomainOwner, repo.DomainName, repo.Name, store.PackageFilter{Format: f}, store.Page{Cursor: cursor, Limit: listPage})
			if err != nil {
				return nil, err
			}
			for _, p := range pkgs {
				n := displayName(f, p.Namespace, p.Name)
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	sort.Strings(out)
	return out, nil
}
