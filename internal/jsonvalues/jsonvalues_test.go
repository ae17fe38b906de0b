package jsonvalues

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCount(t *testing.T) {
	for doc, want := range map[string]int{
		`1`:                         0,
		`[]`:                        1,
		`[1,2,3]`:                   3,
		`{"a":1,"b":[{},{}]}`:       8,
		`"a,b:[{"`:                  0,
		`"a\",b\\":[1,2]`:           3,
		`["\\",1]`:                  2,
		`{"k":"v\"},{\"","x":null}`: 4,
	} {
		if got := Count([]byte(doc), 1000); got != want {
			t.Errorf("Count(%s) = %d, want %d", doc, got, want)
		}
	}
	// At least the number of values decoding makes, less one.
	for _, doc := range []string{`[{},{},{}]`, `{"a":{"b":[1,[2,[3]]]}}`, `[[],[[]],"x,"]`} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if got, vals := Count([]byte(doc), 1000), values(v); got < vals-1 {
			t.Errorf("Count(%s) = %d, fewer than %d values less one", doc, got, vals)
		}
	}
	if got := Count([]byte(strings.Repeat("{},", 1000)), 10); got != 11 {
		t.Errorf("stops past max: %d", got)
	}
}

func values(v any) int {
	n := 1
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			n += values(e)
		}
	case map[string]any:
		for _, e := range x {
			n += values(e)
		}
	}
	return n
}

// FuzzCount: for any valid JSON, Count is at least the number of values
// decoding makes, less one, so no document can hide values from a bound;
// for any input it stops one past max.
func FuzzCount(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"d"}],"e":{}}`, `["\\",[],{}]`, `"x,y"`, `[[[[]]]]`, `{"k":"v\"},{\""}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := Count(b, 3); n > 4 {
			t.Fatalf("Count(max 3) = %d", n)
		}
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		if got, vals := Count(b, len(b)), values(v); got < vals-1 {
			t.Fatalf("Count(%q) = %d, fewer than %d values less one", b, got, vals)
		}
	})
}
