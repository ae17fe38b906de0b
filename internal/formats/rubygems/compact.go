package rubygems

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// InfoEntry is one line of a compact index info file: a version (with its
// platform) of a gem.
type InfoEntry struct {
	FullVersion string
	Deps        []Dep // runtime dependencies
	SHA256      string
	Ruby        []string
	Rubygems    []string
}

// Entry is the info line of a spec.
func (s Spec) Entry() InfoEntry {
	return InfoEntry{FullVersion: s.FullVersion(), Deps: s.Runtime(), SHA256: s.SHA256, Ruby: s.RequiredRuby, Rubygems: s.RequiredRubygems}
}

var sha256Re = regexp.MustCompile(`^[0-9a-f]{64}$`)

// RenderInfo writes an info file: "---", then one line per version:
// VERSION DEP:REQ&REQ,DEP:REQ|checksum:SHA256,ruby:REQ&REQ,rubygems:REQ.
func RenderInfo(es []InfoEntry) []byte {
	var b bytes.Buffer
	b.WriteString("---\n")
	for _, e := range es {
		b.WriteString(e.FullVersion)
		b.WriteByte(' ')
		for i, d := range e.Deps {
			if i > 0 {
				b.WriteByte(',')
			}
			rs := d.Reqs
			if len(rs) == 0 {
				rs = []string{">= 0"}
			}
			b.WriteString(d.Name + ":" + strings.Join(rs, "&"))
		}
		b.WriteString("|checksum:" + e.SHA256)
		if len(e.Ruby) > 0 {
			b.WriteString(",ruby:" + strings.Join(e.Ruby, "&"))
		}
		if len(e.Rubygems) > 0 {
			b.WriteString(",rubygems:" + strings.Join(e.Rubygems, "&"))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// MaxInfoLine bounds one line of an upstream info file.
const MaxInfoLine = 1 << 20

// ParseInfo reads an upstream info file. Every version must carry a sha256
// checksum (wharf keeps nothing it cannot verify) and spell a version and
// names that are safe as path segments; otherwise the whole file is refused.
func ParseInfo(body []byte) ([]InfoEntry, error) {
	var out []InfoEntry
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), MaxInfoLine)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "---" || line == "" {
			continue
		}
		e, err := parseInfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("info line %d: %v", n, err)
		}
		if !seen[e.FullVersion] {
			seen[e.FullVersion] = true
			out = append(out, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("info: %v", err)
	}
	return out, nil
}

func parseInfoLine(line string) (InfoEntry, error) {
	head, reqs, ok := strings.Cut(line, "|")
	if !ok {
		return InfoEntry{}, fmt.Errorf("no requirements part")
	}
	fv, deps, _ := strings.Cut(head, " ")
	if !ValidFullVersion(fv) {
		return InfoEntry{}, fmt.Errorf("invalid version %q", fv)
	}
	e := InfoEntry{FullVersion: fv}
	if deps = strings.TrimSpace(deps); deps != "" {
		for _, d := range strings.Split(deps, ",") {
			name, rs, ok := strings.Cut(d, ":")
			if !ok || !ValidName(name) {
				return InfoEntry{}, fmt.Errorf("invalid dependency %q", d)
			}
			e.Deps = append(e.Deps, Dep{Name: name, Type: "runtime", Reqs: strings.Split(rs, "&")})
		}
	}
	for _, kv := range strings.Split(reqs, ",") {
		k, v, _ := strings.Cut(kv, ":")
		switch k {
		case "checksum":
			e.SHA256 = v
		case "ruby":
			e.Ruby = strings.Split(v, "&")
		case "rubygems":
			e.Rubygems = strings.Split(v, "&")
		}
	}
	if !sha256Re.MatchString(e.SHA256) {
		return InfoEntry{}, fmt.Errorf("version %s has no sha256 checksum", fv)
	}
	return e, nil
}

// ValidInfoBody is the check an upstream info file passes before it is
// cached.
func ValidInfoBody(_ string, b []byte) error {
	_, err := ParseInfo(b)
	return err
}

// MD5 is the compact index's checksum of a file: the versions file lists
// each gem's info file MD5, and Bundler compares its cached copy's MD5 with it
// (and with the ETag) to know whether to fetch again.
func MD5(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// VersionsLine is one gem's line in the versions file.
type VersionsLine struct {
	Name     string
	Versions []string // full versions
	InfoMD5  string
}

// RenderVersions writes a versions file: an upstream's versions file
// (without its own created_at header, which the result's replaces) first
// when given, then lines for the gems the chain holds. A later line for a
// gem overrides the checksum an earlier one gave, which is how Bundler reads
// the file (it is append-only on rubygems.org).
func RenderVersions(created time.Time, upstreamBody []byte, lines []VersionsLine) []byte {
	var b bytes.Buffer
	b.WriteString("created_at: " + created.UTC().Format(time.RFC3339) + "\n---\n")
	if _, rest, ok := bytes.Cut(upstreamBody, []byte("---\n")); ok {
		upstreamBody = rest
	}
	if len(upstreamBody) > 0 {
		b.Write(upstreamBody)
		if upstreamBody[len(upstreamBody)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Name < lines[j].Name })
	for _, l := range lines {
		b.WriteString(l.Name + " " + strings.Join(l.Versions, ",") + " " + l.InfoMD5 + "\n")
	}
	return b.Bytes()
}

// ValidVersionsBody checks an upstream versions file has the header and
// well-formed lines (a body cut short fails on its last line).
func ValidVersionsBody(_ string, b []byte) error {
	_, rest, ok := bytes.Cut(b, []byte("---\n"))
	if !ok {
		return fmt.Errorf("versions file has no header")
	}
	if len(rest) > 0 && rest[len(rest)-1] != '\n' {
		return fmt.Errorf("versions file does not end with a newline")
	}
	return nil
}
