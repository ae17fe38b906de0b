package nuget

import (
	"sort"
	"strconv"
	"strings"
)

// CompareVersions orders normalized NuGet versions as NuGet.Versioning does:
// numerically by part, a pre-release before its release, pre-release labels
// compared case-insensitively (numeric labels numerically, before
// alphanumeric ones).
func CompareVersions(a, b string) int {
	an, ap, _ := strings.Cut(a, "-")
	bn, bp, _ := strings.Cut(b, "-")
	as, bs := strings.Split(an, "."), strings.Split(bn, ".")
	for len(as) < 4 {
		as = append(as, "0")
	}
	for len(bs) < 4 {
		bs = append(bs, "0")
	}
	for i := 0; i < 4; i++ {
		x, _ := strconv.ParseUint(as[i], 10, 64)
		y, _ := strconv.ParseUint(bs[i], 10, 64)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case ap == "" && bp == "":
		return 0
	case ap == "":
		return 1
	case bp == "":
		return -1
	}
	al, bl := strings.Split(strings.ToLower(ap), "."), strings.Split(strings.ToLower(bp), ".")
	for i := 0; i < len(al) && i < len(bl); i++ {
		x, xerr := strconv.ParseUint(al[i], 10, 64)
		y, yerr := strconv.ParseUint(bl[i], 10, 64)
		switch {
		case xerr == nil && yerr == nil:
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case xerr == nil:
			return -1
		case yerr == nil:
			return 1
		default:
			if c := strings.Compare(al[i], bl[i]); c != 0 {
				return c
			}
		}
	}
	return len(al) - len(bl)
}

// SortVersions sorts versions ascending.
func SortVersions(vs []string) {
	sort.SliceStable(vs, func(i, j int) bool { return CompareVersions(vs[i], vs[j]) < 0 })
}
