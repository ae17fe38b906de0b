package app

import (
	"crypto/rand"
	"encoding/binary"
	"sync/atomic"
)

// Request ids are unique, not secret: nothing authorizes by one, they only
// tie a client's x-amzn-RequestId to the access line and the audit trail. A
// per-request crypto/rand read and hex encoding (plus its two allocations)
// was about 1 % of a cached tarball GET's CPU; an id is now this process's
// random 64-bit prefix and a 64-bit counter, 32 hex characters as before.
//
// Two processes (replicas, or one wharf before and after a restart) collide
// only if they draw the same prefix: 2^-64 per pair. The counter starts at a
// random value too, so even then their ids would have to overlap in a 2^64
// space to repeat.
var requestIDs = newRequestIDSource()

type requestIDSource struct {
	prefix [16]byte // hex of the random prefix
	next   atomic.Uint64
}

func newRequestIDSource() *requestIDSource {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails on Linux (it panics rather than return an error)
	s := &requestIDSource{}
	hexInto(s.prefix[:], binary.BigEndian.Uint64(b[:8]))
	s.next.Store(binary.BigEndian.Uint64(b[8:]))
	return s
}

// idInto writes the next id into dst, which must hold 32 bytes.
func (s *requestIDSource) idInto(dst []byte) {
	copy(dst[:16], s.prefix[:])
	hexInto(dst[16:32], s.next.Add(1))
}

const hexDigits = "0123456789abcdef"

// hexInto writes v as 16 lowercase hex digits into dst[:16].
func hexInto(dst []byte, v uint64) {
	_ = dst[15]
	for i := 15; i >= 0; i-- {
		dst[i] = hexDigits[v&0xf]
		v >>= 4
	}
}
