package sqlcommon

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/store"
)

func TestMillis(t *testing.T) {
	if Millis(time.Time{}) != nil || !FromMillis(nil).IsZero() {
		t.Error("the zero time is not NULL")
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 3600))
	ms := Millis(at).(int64)
	if got := FromMillis(&ms); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("FromMillis(Millis(%v)) = %v", at, got)
	}
}

func TestJSONLists(t *testing.T) {
	if s, err := ToJSON[string](nil); s != "[]" || err != nil {
		t.Errorf("ToJSON(nil) = %q, %v", s, err)
	}
	for _, s := range []string{"", "[]"} {
		if v, err := FromJSON[string](s); v != nil || err != nil {
			t.Errorf("FromJSON(%q) = %v, %v", s, v, err)
		}
	}
	s, _ := ToJSON([]string{"b", "a"})
	if v, err := FromJSON[string](s); !slices.Equal(v, []string{"b", "a"}) || err != nil {
		t.Errorf("round trip = %v, %v", v, err)
	}
	if _, err := FromJSON[string]("{"); err == nil {
		t.Error("FromJSON of bad JSON succeeded")
	}
}

func TestCursors(t *testing.T) {
	c := EncodeCursor("a", "b")
	if k, err := DecodeCursor(c, 2); !slices.Equal(k, []string{"a", "b"}) || err != nil {
		t.Errorf("DecodeCursor = %v, %v", k, err)
	}
	for _, bad := range []string{c + "!", EncodeCursor("a")} {
		if _, err := DecodeCursor(bad, 2); !apperr.Is(err, apperr.Validation) {
			t.Errorf("DecodeCursor(%q) = %v, want a ValidationException", bad, err)
		}
	}
	rows, next := TrimPage([]string{"x", "y", "z"}, store.Page{Limit: 2}, func(s string) []string { return []string{s} })
	if !slices.Equal(rows, []string{"x", "y"}) || next != EncodeCursor("y") {
		t.Errorf("TrimPage = %v, %q", rows, next)
	}
	if rows, next := TrimPage([]string{"x", "y"}, store.Page{Limit: 2}, nil); len(rows) != 2 || next != "" {
		t.Errorf("TrimPage of a last page = %v, %q", rows, next)
	}
}

func TestMigrations(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql":  {Data: []byte("B")},
		"m/0001_a.sql":  {Data: []byte("A")},
		"m/0010_c.sql":  {Data: []byte("C")},
		"m/README.txt":  {Data: []byte("not a migration")},
		"other/9_x.sql": {Data: []byte("X")},
	}
	ms, err := LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	if want := []string{"0001_a.sql=A", "0002_b.sql=B", "0010_c.sql=C"}; !slices.Equal(got, want) {
		t.Errorf("LoadMigrations = %v, want %v", got, want)
	}
	if p, err := Pending(ms, 2); err != nil || len(p) != 1 || p[0].Version != 10 {
		t.Errorf("Pending(2) = %v, %v", p, err)
	}
	if _, err := Pending(ms, 11); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Pending(11) = %v, want a newer-schema error", err)
	}
	for name, fsys := range map[string]fstest.MapFS{
		"unnumbered": {"m/a.sql": {}},
		"zero":       {"m/0_a.sql": {}},
		"duplicate":  {"m/1_a.sql": {}, "m/01_b.sql": {}},
	} {
		if _, err := LoadMigrations(fsys, "m"); err == nil {
			t.Errorf("%s: LoadMigrations succeeded", name)
		}
	}
}
