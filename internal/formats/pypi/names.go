// Package pypi serves the Python package index protocols at a repository's pypi
// endpoint: the simple repository API (PEP 503 HTML and PEP 691 JSON, chosen by
// the Accept header) that pip reads, file downloads, and the legacy upload API
// that twine posts to. Resolution, retention and storage go through the
// format-neutral packages.Engine; public:pypi goes through internal/upstream.
package pypi

import (
	"regexp"
	"strings"
)

var normalizeRun = regexp.MustCompile(`[-_.]+`)

// Normalize is PEP 503's name normalization: lowercase, runs of "-", "_" and "."
// become one "-". Packages are stored under the normalized name, as CodeArtifact
// does, so "Foo_Bar", "foo.bar" and "foo-bar" are one package.
func Normalize(name string) string {
	return normalizeRun.ReplaceAllString(strings.ToLower(name), "-")
}

// validName is PEP 508's project name rule.
var validName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$`)

// ValidName reports whether name is a valid project name.
func ValidName(name string) bool { return validName.MatchString(name) }

// validVersion accepts PEP 440 versions (and the legacy ones still found on
// indexes) while refusing anything that could not be a single path segment.
var validVersion = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+!]*$`)

// ValidVersion reports whether v can be a version.
func ValidVersion(v string) bool { return len(v) <= 128 && validVersion.MatchString(v) }

// validFilename is what a distribution file name may look like: one path
// segment, no traversal, no characters that need quoting in a URL.
var validFilename = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+!-]*$`)

// sdistExts are the source distribution extensions pip knows.
var sdistExts = []string{".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"}

// ParseFilename extracts the project and version from a distribution file name:
// wheels are NAME-VERSION(-BUILD)?-PY-ABI-PLATFORM.whl (PEP 427), eggs
// NAME-VERSION(-PY...)?.egg, sdists NAME-VERSION.EXT where the version is the
// part after the last hyphen (versions hold no hyphens once normalized).
func ParseFilename(fn string) (project, version string, ok bool) {
	if !validFilename.MatchString(fn) || strings.Contains(fn, "..") {
		return "", "", false
	}
	switch {
	case strings.HasSuffix(fn, ".whl"):
		parts := strings.Split(strings.TrimSuffix(fn, ".whl"), "-")
		if len(parts) != 5 && len(parts) != 6 {
			return "", "", false
		}
		return parts[0], parts[1], parts[0] != "" && parts[1] != ""
	case strings.HasSuffix(fn, ".egg"):
		parts := strings.Split(strings.TrimSuffix(fn, ".egg"), "-")
		if len(parts) < 2 {
			return "", "", false
		}
		return parts[0], parts[1], parts[0] != "" && parts[1] != ""
	}
	for _, ext := range sdistExts {
		if strings.HasSuffix(fn, ext) {
			base := strings.TrimSuffix(fn, ext)
			i := strings.LastIndex(base, "-")
			if i <= 0 || i == len(base)-1 {
				return "", "", false
			}
			return base[:i], base[i+1:], true
		}
	}
	return "", "", false
}

// FileMatches reports whether a file name belongs to the (normalized) project
// and version: the name part normalizes to the project and the version part
// equals the version.
func FileMatches(fn, project, version string) bool {
	p, v, ok := ParseFilename(fn)
	return ok && Normalize(p) == project && v == version
}
