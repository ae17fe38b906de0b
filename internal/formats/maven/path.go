// Package maven serves the Maven 2 repository layout at a repository's maven
// endpoint: GET/HEAD of artifacts, checksums (.md5/.sha1/.sha256/.sha512) for
// every file, PUT for mvn deploy with checksum verification, and
// maven-metadata.xml generated from the versions the chain holds (release and
// SNAPSHOT). The groupId is the package namespace, the artifactId its name.
package maven

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// Kind says what a layout path names.
type Kind int

const (
	KindFile             Kind = iota // group/artifact/version/file
	KindArtifactMetadata             // group/artifact/maven-metadata.xml
	KindVersionMetadata              // group/artifact/X-SNAPSHOT/maven-metadata.xml
)

// Checksums are the checksum extensions served and verified, in the order
// mvn deploy uploads them.
var Checksums = []string{"md5", "sha1", "sha256", "sha512"}

// Path is a parsed layout path.
type Path struct {
	Kind     Kind
	Group    string // dotted groupId
	Artifact string
	Version  string // "" for artifact metadata
	File     string // the file name, without a checksum extension
	Checksum string // "" or one of Checksums
}

// MetadataFile is the name of the metadata document.
const MetadataFile = "maven-metadata.xml"

var segmentRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+~-]*$`)

// ParsePath parses a path relative to the repository endpoint (escaped as on
// the wire). Anything that is not a plain segment (empty, ".", "..", an encoded
// slash or backslash, control characters) is a Validation error: path
// traversal never reaches storage.
func ParsePath(escaped string) (Path, error) {
	raw := strings.Split(escaped, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || u == "." || u == ".." || !segmentRe.MatchString(u) {
			return Path{}, apperr.Validationf("invalid Maven path %q: segment %q", escaped, s)
		}
		segs[i] = u
	}
	n := len(segs)
	file := segs[n-1]
	p := Path{}
	for _, c := range Checksums {
		if base, ok := strings.CutSuffix(file, "."+c); ok && base != "" {
			p.Checksum, file = c, base
			break
		}
	}
	p.File = file
	if file == MetadataFile {
		if n >= 4 && strings.HasSuffix(segs[n-2], "-SNAPSHOT") {
			g, err := groupOf(escaped, segs[:n-3])
			if err != nil {
				return Path{}, err
			}
			p.Kind, p.Group, p.Artifact, p.Version = KindVersionMetadata, g, segs[n-3], segs[n-2]
			return p, nil
		}
		if n < 3 {
			return Path{}, apperr.Validationf("invalid Maven path %q: metadata needs group and artifact", escaped)
		}
		g, err := groupOf(escaped, segs[:n-2])
		if err != nil {
			return Path{}, err
		}
		p.Kind, p.Group, p.Artifact = KindArtifactMetadata, g, segs[n-2]
		return p, nil
	}
	if n < 4 {
		return Path{}, apperr.Validationf("invalid Maven path %q: want group/artifact/version/file", escaped)
	}
	g, err := groupOf(escaped, segs[:n-3])
	if err != nil {
		return Path{}, err
	}
	p.Kind, p.Group, p.Artifact, p.Version = KindFile, g, segs[n-3], segs[n-2]
	if !strings.HasPrefix(file, p.Artifact+"-"+strings.TrimSuffix(p.Version, "SNAPSHOT")) {
		return Path{}, apperr.Validationf("invalid Maven path %q: file %q is not named %s-%s…", escaped, file, p.Artifact, p.Version)
	}
	return p, nil
}

// groupOf joins the group directories into a groupId. A directory with a dot
// in it is refused: groupId dots are directory separators in the layout, so
// "org.example/lib/…" would otherwise alias "org/example/lib/…" (found by
// FuzzParsePath).
func groupOf(escaped string, dirs []string) (string, error) {
	for _, d := range dirs {
		if strings.Contains(d, ".") {
			return "", apperr.Validationf("invalid Maven path %q: group directory %q contains '.'", escaped, d)
		}
	}
	return strings.Join(dirs, "."), nil
}

// GroupPath is the groupId as path segments (org.example → org/example).
func GroupPath(group string) string { return strings.ReplaceAll(group, ".", "/") }

// Snapshot reports whether a version is a SNAPSHOT.
func Snapshot(v string) bool { return strings.HasSuffix(v, "-SNAPSHOT") }

// relPath is the layout path of a file.
func relPath(p Path) string { return FilePath(p.Group, p.Artifact, p.Version, p.File) }

// FilePath is the layout path of a file of a version.
func FilePath(group, artifact, version, file string) string {
	return GroupPath(group) + "/" + artifact + "/" + version + "/" + file
}
