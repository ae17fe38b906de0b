//go:build libc.membrk || libc.memgrind || !linux || !(amd64 || arm64 || loong64 || ppc64le || s390x || riscv64 || 386 || arm)

package sqlite

// trimCMemory does nothing where libc's allocator is not the one
// cmem_libc.go reaches.
func trimCMemory() error { return nil }

// libcTrimmable says whether trimCMemory reaches libc's allocator.
const libcTrimmable = false
