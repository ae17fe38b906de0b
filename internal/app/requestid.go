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
//
// The counter is not written as it stands: two ids a client receives would
// tell it how many requests the server answered in between (other
// tenants' traffic). It goes through a keyed permutation of 64-bit values
// (a four-round Feistel network with random round keys), which keeps the ids
// unique — a permutation repeats no value — and costs a few nanoseconds.
var requestIDs = newRequestIDSource()

type requestIDSource struct {
	prefix [16]byte // hex of the random prefix
	next   atomic.Uint64
	keys   [4]uint32 // the permutation's round keys
}

func newRequestIDSource() *requestIDSource {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails on Linux (it panics rather than return an error)
	s := &requestIDSource{}
	hexInto(s.prefix[:], binary.BigEndian.Uint64(b[:8]))
	s.next.Store(binary.BigEndian.Uint64(b[8:16]))
	for i := range s.keys {
		s.keys[i] = binary.BigEndian.Uint32(b[16+4*i:])
	}
	return s
}

// idInto writes the next id into dst, which must hold 32 bytes.
func (s *requestIDSource) idInto(dst []byte) {
	copy(dst[:16], s.prefix[:])
	hexInto(dst[16:32], s.permute(s.next.Add(1)))
}

// permute is a Feistel network over the counter's two 32-bit halves: a
// bijection whatever the round function, so distinct counters give distinct
// ids; the round function mixes with a multiply and rotations so that
// consecutive counters look unrelated.
func (s *requestIDSource) permute(v uint64) uint64 {
	l, r := uint32(v>>32), uint32(v)
	for _, k := range s.keys {
		f := (r ^ k) * 0x9e3779b1
		f ^= f>>15 | f<<17
		l, r = r, l^f
	}
	return uint64(l)<<32 | uint64(r)
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
