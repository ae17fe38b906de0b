//go:build !libc.membrk && !libc.memgrind && linux && (amd64 || arm64 || loong64 || ppc64le || s390x || riscv64 || 386 || arm)

package sqlite

// SQLite's memory lives outside Go's heap: modernc.org/sqlite is SQLite
// translated to Go, and it allocates through modernc.org/libc's malloc, one
// modernc.org/memory Allocator for the process. That allocator keeps the
// regions SQLite frees for reuse instead of unmapping them — up to 4 MiB per
// size class stays resident — and large values (upstream documents of
// several MiB in cache_entries, read and written whole) come in a size class
// of their own each: after npm ci's warm-up, ~20-26 MiB of RSS were regions
// no connection used any more (bench/RESULTS-rss.md). memory.Allocator.Trim
// hands them back; libc does not export its allocator, so the two variables
// are reached by name here. The build tags are those of libc's file that
// declares them (libc_musl.go, mem_musl.go): on other platforms libc's
// allocator has other names and trimCMemory does nothing (cmem_other.go). A
// libc release that renames them fails the link, not silently; go.mod pins
// libc and memory together, so the Allocator type is the one libc compiled.

import (
	"sync"
	_ "unsafe" // go:linkname

	"modernc.org/memory"
)

//go:linkname libcAllocator modernc.org/libc.allocator
var libcAllocator memory.Allocator

//go:linkname libcAllocatorMu modernc.org/libc.allocatorMu
var libcAllocatorMu sync.Mutex

// trimCMemory returns the C heap's empty regions to the OS, under the lock
// libc's malloc and free take. Allocations in use are untouched.
func trimCMemory() error {
	libcAllocatorMu.Lock()
	defer libcAllocatorMu.Unlock()
	return libcAllocator.Trim()
}

// libcTrimmable says whether trimCMemory reaches libc's allocator.
const libcTrimmable = true
