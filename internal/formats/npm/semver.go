package npm

import (
	"strconv"
	"strings"
)

// semverParts splits a semantic version (npm style, no "v") into its numbers and
// prerelease identifiers; ok is false when v is not one.
func semverParts(v string) (nums [3]uint64, pre []string, ok bool) {
	v, _, _ = strings.Cut(v, "+") // build metadata never orders
	core, p, hasPre := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return nums, nil, false
	}
	for i, s := range parts {
		if s == "" || (len(s) > 1 && s[0] == '0') {
			return nums, nil, false
		}
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nums, nil, false
		}
		nums[i] = n
	}
	if hasPre {
		pre = strings.Split(p, ".")
		for _, id := range pre {
			if id == "" {
				return nums, nil, false
			}
			for i := 0; i < len(id); i++ {
				c := id[i]
				if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
					return nums, nil, false
				}
			}
		}
	}
	return nums, pre, true
}

// validSemver is semverParts' ok, without building its results: every
// tarball GET checks the version in its file name, and splitting it cost two
// allocations per request.
func validSemver(v string) bool {
	v, _, _ = strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(v, "-")
	for i := range 3 {
		num, rest, more := strings.Cut(core, ".")
		if more != (i < 2) || num == "" || (len(num) > 1 && num[0] == '0') {
			return false
		}
		if _, err := strconv.ParseUint(num, 10, 64); err != nil {
			return false
		}
		core = rest
	}
	if !hasPre {
		return true
	}
	for id := range strings.SplitSeq(pre, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-') {
				return false
			}
		}
	}
	return true
}

func isPrerelease(v string) bool {
	_, pre, _ := semverParts(v)
	return len(pre) > 0
}

// compareVersions orders versions by semver precedence; invalid versions sort
// before valid ones, and ties break on the string so the order is total.
func compareVersions(a, b string) int {
	an, ap, aok := semverParts(a)
	bn, bp, bok := semverParts(b)
	switch {
	case !aok && !bok:
		return strings.Compare(a, b)
	case !aok:
		return -1
	case !bok:
		return 1
	}
	for i := range an {
		if an[i] != bn[i] {
			if an[i] < bn[i] {
				return -1
			}
			return 1
		}
	}
	if c := comparePre(ap, bp); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func comparePre(a, b []string) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1 // a release outranks its prereleases
	case len(b) == 0:
		return -1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		an, aerr := strconv.ParseUint(a[i], 10, 64)
		bn, berr := strconv.ParseUint(b[i], 10, 64)
		switch {
		case aerr == nil && berr == nil:
			if an != bn {
				if an < bn {
					return -1
				}
				return 1
			}
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		default:
			if c := strings.Compare(a[i], b[i]); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}
