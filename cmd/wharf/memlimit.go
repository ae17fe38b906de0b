package main

import "runtime/debug"

// setMemoryLimit makes --memory-budget the Go runtime's soft memory limit
// unless GOMEMLIMIT chose one. wharf's live memory is bounded by its read
// caches (internal/app/budgets.go: 3/8 of the same budget) plus the requests
// in flight; with the default GOGC=100 alone the heap grows to twice that
// before a collection (bench/RESULTS.md measured 209 MiB RSS under 64
// clients). The limit makes the collector run before the heap reaches it
// instead. It is soft: a process whose live data exceeds it keeps running (the
// collector caps its own CPU share), and GOMEMLIMIT (any value the Go runtime
// accepts, e.g. GOMEMLIMIT=512MiB) replaces it — only it: the caches keep
// their shares of --memory-budget — as GOGC sets the growth factor.
func setMemoryLimit(getenv func(string) string, budget int64) {
	if getenv("GOMEMLIMIT") != "" {
		return // the runtime read it at start-up
	}
	debug.SetMemoryLimit(budget)
}
