// Package repo finds the root of this repository, for tests that build or run
// its parts (cmd/wharf, for instance) from a package directory.
package repo

import (
	"os"
	"path/filepath"
	"testing"
)

// Root is the repository root: the nearest ancestor of the working directory
// holding go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repo: no go.mod above the working directory")
		}
		dir = parent
	}
}
