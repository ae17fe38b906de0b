package cached_test

import (
	"path/filepath"
	"testing"

	"github.com/wharf-dev/wharf/internal/store"
	"github.com/wharf-dev/wharf/internal/store/cached"
	"github.com/wharf-dev/wharf/internal/store/sqlite"
	"github.com/wharf-dev/wharf/internal/store/storetest"
)

// The decorator is a store: the whole conformance suite passes through it, in
// both modes, so no cached read ever contradicts a write the suite made.
func TestConformance(t *testing.T) {
	for _, shared := range []bool{false, true} {
		name := "local"
		if shared {
			name = "shared"
		}
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "wharf.db"))
				if err != nil {
					t.Fatal(err)
				}
				return cached.New(s, cached.Options{Shared: shared})
			})
		})
	}
}
