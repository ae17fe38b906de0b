package policy

import (
	"unicode"
	"unicode/utf8"
)

// glob reports whether s matches pattern, where "*" matches any run of
// characters (including none) and "?" exactly one. With fold, letters compare
// case-insensitively (IAM action names); without, exactly (ARNs).
//
// It backtracks only to the last "*", so it runs in O(len(pattern)*len(s)) at
// worst: a hostile policy cannot make evaluation explode.
func glob(pattern, s string, fold bool) bool {
	// Walks both strings rune by rune in place (no []rune copies: this runs
	// for every statement of every decision); positions are byte offsets.
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(s) {
		var pr rune
		var pw int
		if pi < len(pattern) {
			pr, pw = utf8.DecodeRuneInString(pattern[pi:])
		}
		nr, nw := utf8.DecodeRuneInString(s[ni:])
		switch {
		case pi < len(pattern) && pr == '*':
			star, mark = pi, ni
			pi += pw
		case pi < len(pattern) && (pr == '?' || sameRune(pr, nr, fold)):
			pi += pw
			ni += nw
		case star >= 0:
			pi = star + 1 // '*' is one byte
			_, mw := utf8.DecodeRuneInString(s[mark:])
			mark += mw
			ni = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

func sameRune(a, b rune, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return foldRune(a) == foldRune(b)
}

func foldRune(r rune) rune { return unicode.ToLower(r) }
