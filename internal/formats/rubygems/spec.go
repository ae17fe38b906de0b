package rubygems

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Spec is what wharf keeps of a gemspec.
type Spec struct {
	Name             string   `json:"name"`
	Version          string   `json:"version"`
	Platform         string   `json:"platform"`
	Deps             []Dep    `json:"deps,omitempty"` // runtime and development
	RequiredRuby     []string `json:"required_ruby,omitempty"`
	RequiredRubygems []string `json:"required_rubygems,omitempty"`
	Summary          string   `json:"summary,omitempty"`
	Description      string   `json:"description,omitempty"`
	Homepage         string   `json:"homepage,omitempty"`
	Licenses         []string `json:"licenses,omitempty"`
	Authors          []string `json:"authors,omitempty"`
	// SHA256 is the .gem's digest (the compact index's checksum).
	SHA256 string `json:"sha256,omitempty"`
}

// Dep is a dependency: Type is "runtime" or "development"; Reqs are
// requirements such as ">= 1.0".
type Dep struct {
	Name string   `json:"name"`
	Type string   `json:"type"`
	Reqs []string `json:"reqs"`
}

// FullVersion is the spec's version with its platform.
func (s Spec) FullVersion() string { return FullVersion(s.Version, s.Platform) }

// Runtime lists the runtime dependencies.
func (s Spec) Runtime() []Dep {
	var out []Dep
	for _, d := range s.Deps {
		if d.Type != "development" {
			out = append(out, d)
		}
	}
	return out
}

// The YAML shapes Ruby's Psych writes for a Gem::Specification.
type yVersion struct {
	Version string `yaml:"version"`
}

type yRequirement struct {
	Requirements [][2]yaml.Node `yaml:"requirements"`
}

type yDep struct {
	Name        string       `yaml:"name"`
	Requirement yRequirement `yaml:"requirement"`
	Type        string       `yaml:"type"`
}

type ySpec struct {
	Name             string       `yaml:"name"`
	Version          yVersion     `yaml:"version"`
	Platform         string       `yaml:"platform"`
	Authors          []string     `yaml:"authors"`
	Dependencies     []yDep       `yaml:"dependencies"`
	Description      string       `yaml:"description"`
	Homepage         string       `yaml:"homepage"`
	Licenses         []string     `yaml:"licenses"`
	RequiredRuby     yRequirement `yaml:"required_ruby_version"`
	RequiredRubygems yRequirement `yaml:"required_rubygems_version"`
	Summary          string       `yaml:"summary"`
}

// Limits on a gemspec's parts.
const (
	maxDeps  = 1000
	maxReqs  = 32
	maxField = 64 << 10
)

// ParseSpec reads a gem's metadata (the YAML in metadata.gz).
func ParseSpec(b []byte) (Spec, error) {
	var y ySpec
	if err := yaml.Unmarshal(b, &y); err != nil {
		return Spec{}, fmt.Errorf("metadata is not a gemspec: %v", err)
	}
	s := Spec{Name: y.Name, Version: y.Version.Version, Platform: y.Platform, Summary: y.Summary, Description: y.Description,
		Homepage: y.Homepage, Licenses: y.Licenses, Authors: y.Authors}
	if s.Platform == "" {
		s.Platform = "ruby"
	}
	if !ValidName(s.Name) {
		return Spec{}, fmt.Errorf("invalid gem name %q", s.Name)
	}
	if !ValidVersion(s.Version) {
		return Spec{}, fmt.Errorf("invalid version %q of gem %s", s.Version, s.Name)
	}
	if !ValidPlatform(s.Platform) {
		return Spec{}, fmt.Errorf("invalid platform %q of gem %s", s.Platform, s.Name)
	}
	if len(y.Dependencies) > maxDeps {
		return Spec{}, fmt.Errorf("gem %s has more than %d dependencies", s.Name, maxDeps)
	}
	for _, f := range []string{s.Summary, s.Description, s.Homepage} {
		if len(f) > maxField {
			return Spec{}, fmt.Errorf("gem %s: a metadata field is larger than %d bytes", s.Name, maxField)
		}
	}
	var err error
	if s.RequiredRuby, err = reqs(y.RequiredRuby); err != nil {
		return Spec{}, err
	}
	if s.RequiredRubygems, err = reqs(y.RequiredRubygems); err != nil {
		return Spec{}, err
	}
	for _, d := range y.Dependencies {
		if !ValidName(d.Name) {
			return Spec{}, fmt.Errorf("gem %s: invalid dependency name %q", s.Name, d.Name)
		}
		rs, err := reqs(d.Requirement)
		if err != nil {
			return Spec{}, fmt.Errorf("gem %s: dependency %s: %v", s.Name, d.Name, err)
		}
		t := strings.TrimPrefix(d.Type, ":")
		if t != "development" {
			t = "runtime"
		}
		s.Deps = append(s.Deps, Dep{Name: d.Name, Type: t, Reqs: rs})
	}
	sort.SliceStable(s.Deps, func(i, j int) bool { return s.Deps[i].Name < s.Deps[j].Name })
	return s, nil
}

var ops = map[string]bool{"=": true, "!=": true, ">": true, "<": true, ">=": true, "<=": true, "~>": true}

// reqs reads a Gem::Requirement; ">= 0" alone (any version) is left out, as
// the compact index leaves it out.
func reqs(r yRequirement) ([]string, error) {
	if len(r.Requirements) > maxReqs {
		return nil, fmt.Errorf("more than %d requirements", maxReqs)
	}
	var out []string
	for _, pair := range r.Requirements {
		var op string
		var v yVersion
		if pair[0].Decode(&op) != nil || pair[1].Decode(&v) != nil || !ops[op] || !ValidVersion(v.Version) {
			return nil, fmt.Errorf("unreadable requirement")
		}
		out = append(out, op+" "+v.Version)
	}
	if len(out) == 1 && out[0] == ">= 0" {
		return nil, nil
	}
	return out, nil
}
