package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMemoryBudget(t *testing.T) {
	c, err := ParseServe(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.MemoryBudget != DefaultMemoryBudget {
		t.Fatalf("default budget %d, want %d", c.MemoryBudget, DefaultMemoryBudget)
	}
	for in, want := range map[string]int64{"96MiB": 96 << 20, "100663296": 100663296, "1GiB": 1 << 30, " 64 MiB ": 64 << 20, "65536KiB": 64 << 20} {
		c, err := ParseServe([]string{"--memory-budget", in}, env(nil))
		if err != nil {
			t.Fatalf("--memory-budget %q: %v", in, err)
		}
		if c.MemoryBudget != want {
			t.Errorf("--memory-budget %q = %d, want %d", in, c.MemoryBudget, want)
		}
	}
	// The environment and the file name it as every flag.
	c, err = ParseServe(nil, env(map[string]string{"WHARF_MEMORY_BUDGET": "80MiB"}))
	if err != nil || c.MemoryBudget != 80<<20 {
		t.Fatalf("WHARF_MEMORY_BUDGET=80MiB: %v, %d", err, c.MemoryBudget)
	}
	f := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(f, []byte("memory-budget: 72MiB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = ParseServe([]string{"--config", f}, env(nil))
	if err != nil || c.MemoryBudget != 72<<20 {
		t.Fatalf("memory-budget: 72MiB in the file: %v, %d", err, c.MemoryBudget)
	}
	for in, msg := range map[string]string{"12XB": "not a size", "-5MiB": "not a size", "MiB": "not a size", "8MiB": "at least 16MiB", "99999999999TiB": "not a size"} {
		_, err := ParseServe([]string{"--memory-budget", in}, env(nil))
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("--memory-budget %q: err %v, want one saying %q", in, err, msg)
		}
	}
}
