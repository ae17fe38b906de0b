package paging

import (
	"reflect"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
)

func TestKeysetWalksAndRefusesForeignCursors(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	var got []string
	cursor := ""
	for {
		page, next, err := Keyset(items, "letters", id, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	if !reflect.DeepEqual(got, items) {
		t.Fatalf("walk = %v", got)
	}
	_, next, _ := Keyset(items, "letters", id, "", 2)
	// An item removed between pages does not shift the rest.
	page, _, err := Keyset([]string{"a", "c", "d", "e"}, "letters", id, next, 2)
	if err != nil || !reflect.DeepEqual(page, []string{"c", "d"}) {
		t.Fatalf("after a removal = %v, %v", page, err)
	}
	for _, bad := range []string{"b", "not json", `["letters"]`, `["numbers","b"]`, `{"letters":"b"}`, `["letters","b","c"]`} {
		if _, _, err := Keyset(items, "letters", id, bad, 2); !apperr.Is(err, apperr.Validation) {
			t.Errorf("cursor %q: %v; want ValidationException", bad, err)
		}
	}
}

func TestOffset(t *testing.T) {
	items := []int{1, 1, 2, 3, 5}
	page, next, err := Offset(items, "deps", "", 3)
	if err != nil || !reflect.DeepEqual(page, []int{1, 1, 2}) || next == "" {
		t.Fatalf("first page = %v %q %v", page, next, err)
	}
	page, next, err = Offset(items, "deps", next, 3)
	if err != nil || !reflect.DeepEqual(page, []int{3, 5}) || next != "" {
		t.Fatalf("second page = %v %q %v", page, next, err)
	}
	for _, bad := range []string{"3", `["deps","x"]`, `["deps","-1"]`, `["deps","6"]`, `["assets","3"]`} {
		if _, _, err := Offset(items, "deps", bad, 3); !apperr.Is(err, apperr.Validation) {
			t.Errorf("cursor %q: %v; want ValidationException", bad, err)
		}
	}
}
