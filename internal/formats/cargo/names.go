// Package cargo serves the Cargo registry protocols at a repository's cargo
// endpoint: the sparse index (config.json and one index file per crate) that
// cargo reads, crate downloads, and the publish/yank Web API that `cargo
// publish` and `cargo yank` call. This file and the others without HTTP in them
// are pure: they parse and render, and are fuzzed; handler.go is the thin HTTP
// layer over packages.Engine.
package cargo

import (
	"regexp"
	"strings"
)

// MaxNameLen is crates.io's limit on a crate name's length.
const MaxNameLen = 64

// validName is crates.io's rule: ASCII letters, digits, '-' and '_', starting
// with a letter. Anything else (dots, slashes, "..") can never reach a path.
var validName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// ValidName reports whether name may be a crate name.
func ValidName(name string) bool { return len(name) <= MaxNameLen && validName.MatchString(name) }

// Key is how a crate is stored and looked up: crate names are case-insensitive
// (cargo asks for the index file of the lowercased name), so "Serde" and
// "serde" are one package. The name as first published is kept as the
// version's display name and in the index entries.
func Key(name string) string { return strings.ToLower(name) }

// Canonical is the name under which two crate names collide: case-insensitive
// with '-' and '_' equivalent, as crates.io refuses "foo_bar" once "foo-bar"
// exists. It is only compared, never stored.
func Canonical(name string) string { return strings.ReplaceAll(strings.ToLower(name), "-", "_") }

// IndexPath is the path of a crate's index file relative to the index root,
// per the registry index layout: 1/{n}, 2/{n}, 3/{c}/{n}, {ab}/{cd}/{n}, all
// lowercase.
func IndexPath(name string) string {
	n := strings.ToLower(name)
	switch len(n) {
	case 0:
		return ""
	case 1:
		return "1/" + n
	case 2:
		return "2/" + n
	case 3:
		return "3/" + n[:1] + "/" + n
	}
	return n[:2] + "/" + n[2:4] + "/" + n
}

// ParseIndexPath is the inverse of IndexPath: the crate name an index file path
// names, if the path is well-formed for it (the prefix directories must match
// the name, so no path maps to two crates and nothing else is a crate path).
func ParseIndexPath(p string) (string, bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", false
	}
	name := p[i+1:]
	if !ValidName(name) || IndexPath(name) != p {
		return "", false
	}
	return name, true
}

// semverRe is SemVer 2.0.0 (cargo requires it of every published version).
var semverRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// ValidVersion reports whether v is a SemVer version of reasonable length.
func ValidVersion(v string) bool { return len(v) <= 128 && semverRe.MatchString(v) }

// CrateFile is the asset name of a crate version, as crates.io names it.
func CrateFile(name, version string) string { return name + "-" + version + ".crate" }
