package main

import (
	"runtime/debug"
	"testing"
)

func TestSetMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	debug.SetMemoryLimit(1 << 40)
	setMemoryLimit(func(string) string { return "" })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Fatalf("without GOMEMLIMIT the limit is %d, want %d", got, defaultMemoryLimit)
	}

	debug.SetMemoryLimit(1 << 40) // as the runtime set it from GOMEMLIMIT
	setMemoryLimit(func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1TiB"
		}
		return ""
	})
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Fatalf("GOMEMLIMIT set: the limit became %d, want the runtime's 1 TiB", got)
	}
}
