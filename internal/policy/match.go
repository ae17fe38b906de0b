package policy

import "unicode"

// glob reports whether s matches pattern, where "*" matches any run of
// characters (including none) and "?" exactly one. With fold, letters compare
// case-insensitively (IAM action names); without, exactly (ARNs).
//
// It backtracks only to the last "*", so it runs in O(len(pattern)*len(s)) at
// worst: a hostile policy cannot make evaluation explode.
func glob(pattern, s string, fold bool) bool {
	p, n := []rune(pattern), []rune(s)
	pi, ni := 0, 0
	star, mark := -1, 0
	for ni < len(n) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ni
			pi++
		case pi < len(p) && (p[pi] == '?' || sameRune(p[pi], n[ni], fold)):
			pi++
			ni++
		case star >= 0:
			pi = star + 1
			mark++
			ni = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
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
