package npm

import (
	"net/url"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// Name is an npm package name split the way wharf stores it: the scope without
// "@" is the CodeArtifact namespace.
type Name struct {
	Scope string // "" for unscoped packages
	Pkg   string
}

// String is the name as npm writes it: "@scope/pkg" or "pkg".
func (n Name) String() string {
	if n.Scope == "" {
		return n.Pkg
	}
	return "@" + n.Scope + "/" + n.Pkg
}

// Escaped is the name as it appears in a registry URL path: "@scope%2fpkg".
func (n Name) Escaped() string {
	if n.Scope == "" {
		return n.Pkg
	}
	return "@" + n.Scope + "%2f" + n.Pkg
}

// TarballFile is the file name npm gives a version's tarball: "pkg-1.0.0.tgz".
func (n Name) TarballFile(version string) string { return n.Pkg + "-" + version + ".tgz" }

// ParseName validates a package name as npm writes it ("@scope/pkg" or "pkg").
func ParseName(s string) (Name, error) {
	if strings.HasPrefix(s, "@") {
		scope, pkg, ok := strings.Cut(s[1:], "/")
		if !ok {
			return Name{}, apperr.Validationf("scoped package name %q must look like @scope/name", s)
		}
		if err := checkPart(scope, s); err != nil {
			return Name{}, err
		}
		if err := checkPart(pkg, s); err != nil {
			return Name{}, err
		}
		return Name{Scope: scope, Pkg: pkg}, nil
	}
	if err := checkPart(s, s); err != nil {
		return Name{}, err
	}
	return Name{Pkg: s}, nil
}

// checkPart applies npm's rules for a name or scope (URL-safe characters, no
// leading dot or underscore, at most 214 characters) plus wharf's own: no ".."
// anywhere, so a name can never be read as a path step by anything downstream.
func checkPart(p, whole string) error {
	if p == "" || len(whole) > 214 {
		return apperr.Validationf("invalid package name %q: empty or longer than 214 characters", whole)
	}
	if p[0] == '.' || p[0] == '_' {
		return apperr.Validationf("invalid package name %q: must not start with '.' or '_'", whole)
	}
	if strings.Contains(p, "..") {
		return apperr.Validationf("invalid package name %q: must not contain '..'", whole)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!*'()", c) >= 0:
		default:
			return apperr.Validationf("invalid package name %q: character %q is not allowed", whole, c)
		}
	}
	return nil
}

// splitPath decodes the escaped path after the repository endpoint into
// segments. Each segment is unescaped once; "." segments and anything holding
// ".." (escaped or not) are refused: no npm name, version or tarball has them,
// and refusing early keeps them away from every path-like use downstream.
func splitPath(escaped string) ([]string, error) {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil, nil
	}
	// Iterated, not split: a tarball GET's path (three segments, none
	// escaped) costs one allocation, the result.
	out := make([]string, 0, strings.Count(escaped, "/")+2)
	for seg := range strings.SplitSeq(escaped, "/") {
		dec := seg
		if strings.IndexByte(seg, '%') >= 0 {
			var err error
			if dec, err = url.PathUnescape(seg); err != nil {
				return nil, apperr.Validationf("invalid escaping in path segment %q", seg)
			}
		}
		// "@scope%2fname" decodes to two segments.
		for piece := range strings.SplitSeq(dec, "/") {
			if piece == "." || strings.Contains(piece, "..") {
				return nil, apperr.Validationf("invalid path %q: '..' is not allowed", escaped)
			}
			out = append(out, piece)
		}
	}
	return out, nil
}

// takeName reads a package name from the start of segs ("@scope", "pkg" or
// "pkg") and returns the remaining segments.
func takeName(segs []string) (Name, []string, error) {
	if len(segs) == 0 {
		return Name{}, nil, apperr.Validationf("missing package name")
	}
	if strings.HasPrefix(segs[0], "@") {
		if len(segs) < 2 {
			return Name{}, nil, apperr.Validationf("scoped package name %q must look like @scope/name", segs[0])
		}
		n, err := ParseName(segs[0] + "/" + segs[1])
		return n, segs[2:], err
	}
	n, err := ParseName(segs[0])
	return n, segs[1:], err
}

// versionOfFile reads the version from a tarball file name "pkg-1.2.3.tgz".
func versionOfFile(n Name, file string) (string, error) {
	v, ok := strings.CutPrefix(file, n.Pkg) // then "-": no concatenation per request
	if ok {
		v, ok = strings.CutPrefix(v, "-")
	}
	if ok {
		v, ok = strings.CutSuffix(v, ".tgz")
	}
	if !ok {
		return "", apperr.NotFoundf("asset", file, "%s is not a tarball of %s", file, n)
	}
	if err := CheckVersion(v); err != nil {
		return "", err
	}
	return v, nil
}

func validTag(t string) error {
	if t == "" || len(t) > 128 || strings.ContainsAny(t, "/\\%?# \t") || strings.Contains(t, "..") || validSemver(t) {
		return apperr.Validationf("invalid dist-tag %q (tags are names like beta, and must not be versions)", t)
	}
	return nil
}

// acceptsAbbreviated reports whether the client asked for the abbreviated
// packument (npm sends it first, with application/json as a fallback).
func acceptsAbbreviated(accept string) bool {
	return strings.Contains(accept, AbbreviatedType)
}
