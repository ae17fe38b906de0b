package cargo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Dep is a dependency as an index entry lists it.
type Dep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
	Registry        *string  `json:"registry,omitempty"`
	Package         *string  `json:"package,omitempty"`
}

// Entry is one line of a crate's index file: one version.
type Entry struct {
	Name        string              `json:"name"`
	Vers        string              `json:"vers"`
	Deps        []Dep               `json:"deps"`
	Cksum       string              `json:"cksum"`
	Features    map[string][]string `json:"features"`
	Yanked      bool                `json:"yanked"`
	Links       *string             `json:"links,omitempty"`
	V           int                 `json:"v,omitempty"`
	Features2   map[string][]string `json:"features2,omitempty"`
	RustVersion *string             `json:"rust_version,omitempty"`
}

var cksumRe = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks what wharf relies on in an entry: a crate name, a version
// usable as a path segment, and a sha256 to verify the download against.
func (e Entry) Validate() error {
	if !ValidName(e.Name) {
		return fmt.Errorf("invalid crate name %q", e.Name)
	}
	if !ValidVersion(e.Vers) {
		return fmt.Errorf("crate %s: invalid version %q", e.Name, e.Vers)
	}
	if !cksumRe.MatchString(e.Cksum) {
		return fmt.Errorf("crate %s %s: cksum is not a lowercase hex sha256", e.Name, e.Vers)
	}
	return nil
}

// MaxIndexLine bounds one line of an index file (one version's entry).
const MaxIndexLine = 1 << 20

// ParseIndex reads an index file: one JSON entry per line. Entries for another
// crate (by case-insensitive name) or with an unusable name, version or cksum
// are an error: an upstream index that lies about its crate is not used at all.
// Entries with the same version keep the first.
func ParseIndex(crate string, body []byte) ([]Entry, error) {
	var out []Entry
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), MaxIndexLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, fmt.Errorf("index line %d: %v", n, err)
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("index line %d: %v", n, err)
		}
		if Key(e.Name) != Key(crate) {
			return nil, fmt.Errorf("index line %d names crate %q, not %q", n, e.Name, crate)
		}
		if seen[e.Vers] {
			continue
		}
		seen[e.Vers] = true
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("index: %v", err)
	}
	return out, nil
}

// ValidIndexBody is the check an upstream index file passes before it is
// cached: every line parses (a body cut short fails on its last line).
func ValidIndexBody(crate string) func(string, []byte) error {
	return func(_ string, b []byte) error {
		_, err := ParseIndex(crate, b)
		return err
	}
}

// RenderIndex writes entries as an index file. Nil slices and maps are written
// as [] and {} because cargo's parser wants them present.
func RenderIndex(entries []Entry) []byte {
	var b bytes.Buffer
	for _, e := range entries {
		if e.Deps == nil {
			e.Deps = []Dep{}
		}
		for i := range e.Deps {
			if e.Deps[i].Features == nil {
				e.Deps[i].Features = []string{}
			}
		}
		if e.Features == nil {
			e.Features = map[string][]string{}
		}
		line, err := json.Marshal(e)
		if err != nil {
			continue // unreachable: every field marshals
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Config is the index's config.json.
type Config struct {
	DL           string `json:"dl"`
	API          string `json:"api,omitempty"`
	AuthRequired bool   `json:"auth-required,omitempty"`
}

// DownloadPath is where wharf serves a crate, relative to the endpoint; the dl
// template in config.json spells the same thing with markers.
func DownloadPath(name, version string) string {
	return "api/v1/crates/" + name + "/" + version + "/download"
}

// RenderConfig is the config.json of a repository endpoint base (ending in
// "/"): downloads and the Web API on the endpoint itself, and auth-required so
// cargo sends its token on every request (CodeArtifact's index is private).
func RenderConfig(base string) []byte {
	b, _ := json.Marshal(Config{DL: base + "api/v1/crates/{crate}/{version}/download", API: strings.TrimSuffix(base, "/"), AuthRequired: true})
	return b
}

// ParseConfig reads an upstream index's config.json.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, fmt.Errorf("config.json: %v", err)
	}
	if c.DL == "" {
		return Config{}, fmt.Errorf("config.json has no dl")
	}
	return c, nil
}

// DownloadURL expands an index's dl template for a crate version as cargo
// does: with markers, they are replaced; without, "/{crate}/{version}/download"
// is appended. cksum is the entry's sha256.
func DownloadURL(dl, name, version, cksum string) string {
	if !strings.Contains(dl, "{") {
		return strings.TrimSuffix(dl, "/") + "/" + name + "/" + version + "/download"
	}
	prefix := indexPrefix(name)
	r := strings.NewReplacer("{crate}", name, "{version}", version, "{prefix}", prefix,
		"{lowerprefix}", strings.ToLower(prefix), "{sha256-checksum}", cksum)
	return r.Replace(dl)
}

// indexPrefix is the directory part of a crate's index path, keeping the
// name's case (cargo's {prefix} marker; {lowerprefix} lowercases it).
func indexPrefix(name string) string {
	switch len(name) {
	case 0:
		return ""
	case 1:
		return "1"
	case 2:
		return "2"
	case 3:
		return "3/" + name[:1]
	}
	return name[:2] + "/" + name[2:4]
}
