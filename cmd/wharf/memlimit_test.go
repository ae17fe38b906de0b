package main

import (
	"runtime/debug"
	"testing"

	"github.com/wharf-dev/wharf/internal/config"
)

func TestSetMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	cfg, err := config.ParseServe(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(func(string) string { return "" }, cfg.MemoryBudget)
	if got := debug.SetMemoryLimit(-1); got != config.DefaultMemoryBudget {
		t.Fatalf("without GOMEMLIMIT the limit is %d, want the default budget %d", got, config.DefaultMemoryBudget)
	}

	cfg, err = config.ParseServe([]string{"--memory-budget", "96MiB"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	setMemoryLimit(func(string) string { return "" }, cfg.MemoryBudget)
	if got := debug.SetMemoryLimit(-1); got != 96<<20 {
		t.Fatalf("--memory-budget 96MiB: the limit is %d, want %d", got, 96<<20)
	}

	debug.SetMemoryLimit(1 << 40) // as the runtime set it from GOMEMLIMIT
	setMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1TiB"
		}
		return ""
	}, cfg.MemoryBudget)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("GOMEMLIMIT set: the limit became %d, want the runtime's 1 TiB", got)
	}
}
