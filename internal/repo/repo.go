// Package repo finds files of this repository and of the shared folder beside it
// (../shared: the seed, the service models), for tests.
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

// Shared returns the path of a file under ../shared (beside the repository root),
// failing the test with a clear message when the shared folder is missing.
func Shared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(Root(t)), "shared", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: these tests need the project's shared folder beside the repository (../shared)", p)
	}
	return p
}
