package main

import "runtime/debug"

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is
// not set. wharf's live memory is bounded by its read caches (52 MiB in all:
// internal/app/budgets.go) plus the requests in flight; with the default
// GOGC=100 alone the heap grows to twice that before a collection
// (bench/RESULTS.md measured 209 MiB RSS under 64 clients, 139 MiB with this
// limit). The limit makes the collector run before the heap reaches it
// instead. It is soft: a process whose live data exceeds it keeps running (the
// collector caps its own CPU share), and GOMEMLIMIT (any value the Go runtime
// accepts, e.g. GOMEMLIMIT=512MiB) replaces it, as GOGC sets the growth factor.
const defaultMemoryLimit = 80 << 20

// setMemoryLimit applies defaultMemoryLimit unless the environment chose one.
func setMemoryLimit(getenv func(string) string) {
	if getenv("GOMEMLIMIT") != "" {
		return // the runtime read it at start-up
	}
	debug.SetMemoryLimit(defaultMemoryLimit)
}
