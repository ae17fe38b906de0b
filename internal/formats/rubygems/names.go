// Package rubygems serves the RubyGems protocols at a repository's ruby
// endpoint: `gem push` and `gem yank` (the /api/v1/gems API), the compact
// index Bundler and gem read (versions, info/NAME), the dependency API
// (/api/v1/dependencies), gem downloads (gems/NAME-VERSION.gem) and the
// marshalled gemspecs `gem install` asks for (quick/Marshal.4.8/). The files
// without HTTP are pure and fuzzed; handler.go is the thin HTTP layer over
// packages.Engine.
package rubygems

import (
	"regexp"
	"strings"
)

// validName is rubygems.org's rule for gem names (letters, digits, ".", "-",
// "_", at least one letter or digit), which keeps a name one path segment.
var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// ValidName reports whether name may be a gem name.
func ValidName(name string) bool {
	return len(name) <= 128 && validName.MatchString(name) && strings.IndexFunc(name, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
	}) >= 0 && !strings.HasPrefix(name, ".")
}

// Canonical is the name under which two gem names collide: rubygems.org
// refuses a new gem whose name differs from an existing one only in case,
// and wharf also treats "-" and "_" alike (the confusable pairs dependency
// confusion plays on). It is compared, never stored: gems are stored under
// the name they were published with, as RubyGems names are case-sensitive.
func Canonical(name string) string { return strings.ReplaceAll(strings.ToLower(name), "_", "-") }

// validVersion is Gem::Version's pattern, no whitespace.
var validVersion = regexp.MustCompile(`^[0-9]+(\.[0-9A-Za-z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// ValidVersion reports whether v is a gem version.
func ValidVersion(v string) bool { return len(v) <= 128 && validVersion.MatchString(v) }

var validPlatform = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ValidPlatform reports whether p may be a gem platform ("ruby", "java",
// "x86_64-linux", ...).
func ValidPlatform(p string) bool {
	return len(p) <= 64 && validPlatform.MatchString(p) && p != "." && p != ".."
}

// FullVersion is a version as the compact index and package versions spell
// it: the number, then "-PLATFORM" for a platform other than ruby.
func FullVersion(version, platform string) string {
	if platform == "" || platform == "ruby" {
		return version
	}
	return version + "-" + platform
}

// GemFile is the file name of a gem: NAME-FULLVERSION.gem.
func GemFile(name, fullVersion string) string { return name + "-" + fullVersion + ".gem" }

// ParseGemFile splits NAME-FULLVERSION.gem for a known name.
func ParseGemFile(name, file string) (fullVersion string, ok bool) {
	rest, ok := strings.CutPrefix(file, name+"-")
	if !ok {
		return "", false
	}
	fv, ok := strings.CutSuffix(rest, ".gem")
	if !ok || !ValidFullVersion(fv) {
		return "", false
	}
	return fv, true
}

// ValidFullVersion reports whether fv is VERSION or VERSION-PLATFORM.
func ValidFullVersion(fv string) bool {
	if ValidVersion(fv) {
		return true
	}
	// A platform contains no dots in its first part; try each split.
	for i := strings.IndexByte(fv, '-'); i > 0; {
		if ValidVersion(fv[:i]) && ValidPlatform(fv[i+1:]) {
			return true
		}
		j := strings.IndexByte(fv[i+1:], '-')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
