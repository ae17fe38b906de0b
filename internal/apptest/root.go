package apptest

import (
	"os"
	"path/filepath"
	"testing"
)

// RepoRoot is the root of this source repository (the nearest ancestor of
// the working directory holding go.mod), for tests that build or run its
// parts, cmd/wharf for instance, from a package directory.
func RepoRoot(t testing.TB) string {
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
			t.Fatal("apptest: no go.mod above the working directory")
		}
		dir = parent
	}
}
