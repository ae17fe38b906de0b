package sqlstore

import (
	"fmt"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	rb := &rebinder{on: true, cache: map[string]string{}}
	const q = `SELECT a FROM t WHERE b = ? AND (c, d) > (?, ?) LIMIT ?`
	want := `SELECT a FROM t WHERE b = $1 AND (c, d) > ($2, $3) LIMIT $4`
	for range 2 {
		if got := rb.sql(q); got != want {
			t.Fatalf("rebind = %q, want %q", got, want)
		}
	}
	if len(rb.cache) != 1 {
		t.Fatalf("cache holds %d texts, want 1", len(rb.cache))
	}
	if n := testing.AllocsPerRun(100, func() { rb.sql(q) }); n != 0 {
		t.Errorf("a cached rebind allocates %v times", n)
	}
	off := &rebinder{}
	if got := off.sql(q); got != q {
		t.Errorf("rebind off changed the query: %q", got)
	}
}

// The cache stops growing at maxRebound texts (queries whose text depends on
// an argument count) and still rewrites the texts it does not keep.
func TestRebindBounded(t *testing.T) {
	rb := &rebinder{on: true, cache: map[string]string{}}
	for i := range maxRebound + 10 {
		q := fmt.Sprintf("SELECT %d WHERE x = ?", i)
		if got, want := rb.sql(q), fmt.Sprintf("SELECT %d WHERE x = $1", i); got != want {
			t.Fatalf("rebind = %q, want %q", got, want)
		}
	}
	if len(rb.cache) != maxRebound {
		t.Fatalf("cache holds %d texts, want %d", len(rb.cache), maxRebound)
	}
}

func TestPrefixCond(t *testing.T) {
	for _, d := range []Dialect{
		{StartsWith: "substr(%s, 1, length(?)) = ?", PrefixArgs: 2},
		{StartsWith: "starts_with(%s, ?::text)", PrefixArgs: 1},
	} {
		s := New(d, nil, nil)
		var q strings.Builder
		q.WriteString("SELECT 1 FROM t WHERE a = ?")
		args := s.prefixCond(&q, "name", "pre", []any{"a"})
		if got := strings.Count(q.String(), "?"); got != len(args) {
			t.Errorf("%s: %d placeholders for %d arguments", q.String(), got, len(args))
		}
		if !strings.Contains(q.String(), " AND "+fmt.Sprintf(d.StartsWith, "name")) {
			t.Errorf("%s: no prefix condition on name", q.String())
		}
		for _, a := range args[1:] {
			if a != "pre" {
				t.Errorf("prefix argument %v, want pre", a)
			}
		}
	}
}
