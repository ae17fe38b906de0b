package policy

import (
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		fold, want bool
	}{
		{"", "", false, true},
		{"", "a", false, false},
		{"*", "", false, true},
		{"*", "anything:at/all", false, true},
		{"a*c", "abbbc", false, true},
		{"a*c", "abbbd", false, false},
		{"a*b*c", "aXbYbZc", false, true}, // needs backtracking past the first b
		{"*ab", "aab", false, true},       // restart after a partial match
		{"*aab", "aaab", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"??", "é!", false, true}, // ? is one character, not one byte
		{"ABC", "abc", false, false},
		{"ABC", "abc", true, true},
		{"codeartifact:Read*", "CODEARTIFACT:READFROMREPOSITORY", true, true},
		{"a**b", "ab", false, true},
		{"a*", "b", false, false},
		{"*x", "yyyy", false, false},
		{"*é?", "aééb", false, true}, // backtracking over multi-byte runes
		{"a*é", "aéXé", false, true},
		{"É*", "éa", true, true},
		{"?", "\xff", false, true}, // an invalid byte is one character, as []rune counts it
		{"a?", "a\xff\xfe", false, false},
	}
	for _, tc := range cases {
		if got := glob(tc.pattern, tc.s, tc.fold); got != tc.want {
			t.Errorf("glob(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.fold, got, tc.want)
		}
	}
}

// A pattern built to blow up naive recursive matchers must still answer.
func TestGlobPathological(t *testing.T) {
	pattern := strings.Repeat("a*", 200) + "b"
	s := strings.Repeat("a", 3000)
	if glob(pattern, s, false) {
		t.Error("matched a string without b")
	}
	if !glob(pattern, s+"b", false) {
		t.Error("did not match with b")
	}
}
