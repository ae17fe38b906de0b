package rubygems

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
)

// Tuple is a gem version as RubyGems' legacy indexes list it.
type Tuple struct{ Name, Version, Platform string }

// Prerelease reports whether a gem version is a prerelease (it has a letter).
func Prerelease(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
}

// SpecsIndex renders specs.4.8.gz, latest_specs.4.8.gz or
// prerelease_specs.4.8.gz (the caller picks the tuples): a gzipped,
// marshalled array of [name, Gem::Version, platform]. `gem install NAME`
// looks names up there (RubyGems' SpecFetcher) before it reads the compact
// index.
func SpecsIndex(ts []Tuple) []byte {
	m := newMarshal()
	m.array(len(ts))
	for _, t := range ts {
		m.array(3)
		m.str(t.Name)
		m.version(t.Version)
		m.str(t.Platform)
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(m.b.Bytes())
	_ = zw.Close()
	return b.Bytes()
}

// Latest keeps the highest release of each name and platform.
func Latest(ts []Tuple) []Tuple {
	best := map[[2]string]int{}
	var order [][2]string
	for i, t := range ts {
		if Prerelease(t.Version) {
			continue
		}
		k := [2]string{t.Name, t.Platform}
		j, ok := best[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || CompareVersions(t.Version, ts[j].Version) > 0 {
			best[k] = i
		}
	}
	out := make([]Tuple, len(order))
	for i, k := range order {
		out[i] = ts[best[k]]
	}
	return out
}

// CompareVersions orders gem versions as Gem::Version does: segments split
// on "." (and between digits and letters), numbers numerically, a string
// segment (a prerelease) before any number.
func CompareVersions(a, b string) int {
	as, bs := segments(a), segments(b)
	for len(as) > 0 && as[len(as)-1] == "0" {
		as = as[:len(as)-1]
	}
	for len(bs) > 0 && bs[len(bs)-1] == "0" {
		bs = bs[:len(bs)-1]
	}
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xerr := strconv.Atoi(x)
		yn, yerr := strconv.Atoi(y)
		switch {
		case xerr == nil && yerr == nil:
			if xn != yn {
				if xn < yn {
					return -1
				}
				return 1
			}
		case xerr != nil && yerr == nil:
			return -1
		case xerr == nil && yerr != nil:
			return 1
		default:
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
		}
	}
	return 0
}

func segments(v string) []string {
	var out []string
	for _, part := range strings.Split(strings.ReplaceAll(v, "-", ".pre."), ".") {
		start := 0
		for i := 1; i <= len(part); i++ {
			if i == len(part) || isDigit(part[i]) != isDigit(part[i-1]) {
				out = append(out, part[start:i])
				start = i
			}
		}
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
