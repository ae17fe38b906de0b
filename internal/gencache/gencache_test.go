package gencache

import "testing"

func size(b []byte) int64 { return int64(len(b)) }

func TestEntriesAreValidForTheirGenerationOnly(t *testing.T) {
	c := New(1<<20, 1<<20, size)
	c.Put("a", 1, []byte("one"))
	if v, ok := c.Get("a", 1); !ok || string(v) != "one" {
		t.Fatalf("get at generation 1: %q %v", v, ok)
	}
	if _, ok := c.Get("a", 2); ok {
		t.Fatal("an entry of generation 1 answered for generation 2")
	}
	c.Put("a", 2, []byte("two"))
	c.Put("a", 1, []byte("late")) // an older build finishing last
	if v, ok := c.Get("a", 2); !ok || string(v) != "two" {
		t.Fatalf("a late older build replaced the newer one: %q %v", v, ok)
	}
}

func TestBoundedByBytes(t *testing.T) {
	c := New(40<<10, 10<<10, size)
	for i := range 20 {
		c.Put(string(rune('a'+i)), 1, make([]byte, 4<<10))
		if c.bytes > c.maxBytes {
			t.Fatalf("after %d puts the cache holds %d bytes, budget %d", i+1, c.bytes, c.maxBytes)
		}
	}
	if _, ok := c.Get("t", 1); !ok {
		t.Fatal("the entry just put was evicted")
	}
	c.Put("big", 1, make([]byte, 11<<10))
	if _, ok := c.Get("big", 1); ok {
		t.Fatal("an entry over maxEntry was kept")
	}
	var total int64
	for k, e := range c.m {
		total += size(e.v) + int64(len(k))
	}
	if total != c.bytes {
		t.Fatalf("accounted %d bytes, entries hold %d", c.bytes, total)
	}
	if n, b := c.Stats(); n != len(c.m) || b != total {
		t.Fatalf("Stats() = %d entries, %d bytes; the cache holds %d, %d", n, b, len(c.m), total)
	}
}

func TestNilCacheKeepsNothing(t *testing.T) {
	var c *Cache[[]byte]
	c.Put("a", 1, []byte("x"))
	if _, ok := c.Get("a", 1); ok {
		t.Fatal("a nil cache answered")
	}
	if n, b := c.Stats(); n != 0 || b != 0 {
		t.Fatalf("a nil cache reports %d entries, %d bytes", n, b)
	}
}
