package cargo

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wharf-dev/wharf/internal/jsonvalues"
)

// PublishDep is a dependency as `cargo publish` sends it (the Web API's shape,
// which differs from the index's: version_req, explicit_name_in_toml).
type PublishDep struct {
	Name               string   `json:"name"`
	VersionReq         string   `json:"version_req"`
	Features           []string `json:"features"`
	Optional           bool     `json:"optional"`
	DefaultFeatures    bool     `json:"default_features"`
	Target             *string  `json:"target"`
	Kind               string   `json:"kind"`
	Registry           *string  `json:"registry"`
	ExplicitNameInToml *string  `json:"explicit_name_in_toml"`
}

// PublishMeta is the JSON part of a publish request.
type PublishMeta struct {
	Name          string              `json:"name"`
	Vers          string              `json:"vers"`
	Deps          []PublishDep        `json:"deps"`
	Features      map[string][]string `json:"features"`
	Authors       []string            `json:"authors"`
	Description   *string             `json:"description"`
	Documentation *string             `json:"documentation"`
	Homepage      *string             `json:"homepage"`
	Readme        *string             `json:"readme"`
	ReadmeFile    *string             `json:"readme_file"`
	Keywords      []string            `json:"keywords"`
	Categories    []string            `json:"categories"`
	License       *string             `json:"license"`
	LicenseFile   *string             `json:"license_file"`
	Repository    *string             `json:"repository"`
	Links         *string             `json:"links"`
	RustVersion   *string             `json:"rust_version"`
}

// Errors of the publish body; handlers answer them as 400 with the text.
var (
	ErrBodyTruncated = errors.New("publish body ends before the lengths it declares")
	ErrTooLarge      = errors.New("publish body is larger than allowed")
)

// ReadPublish reads the head of a publish body (cargo's binary framing: u32
// little-endian JSON length, the JSON, u32 crate length, the .crate) and
// returns the metadata and a reader of exactly the crate's bytes, left in r so
// it can be streamed to storage. maxJSON and maxCrate bound the two lengths
// before anything is read. The caller must check the crate reader reached its
// end (n == CrateLen) and that nothing follows.
func ReadPublish(r io.Reader, maxJSON, maxCrate int64) (PublishMeta, io.Reader, int64, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return PublishMeta{}, nil, 0, ErrBodyTruncated
	}
	jl := int64(binary.LittleEndian.Uint32(n[:]))
	if jl > maxJSON {
		return PublishMeta{}, nil, 0, fmt.Errorf("%w: metadata of %d bytes (limit %d)", ErrTooLarge, jl, maxJSON)
	}
	raw := make([]byte, jl)
	if _, err := io.ReadFull(r, raw); err != nil {
		return PublishMeta{}, nil, 0, ErrBodyTruncated
	}
	if jsonvalues.Count(raw, MaxMetaTokens) > MaxMetaTokens {
		return PublishMeta{}, nil, 0, fmt.Errorf("%w: metadata has more than %d JSON values", ErrTooLarge, MaxMetaTokens)
	}
	var m PublishMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return PublishMeta{}, nil, 0, fmt.Errorf("publish metadata is not valid JSON: %v", err)
	}
	if err := m.Validate(); err != nil {
		return PublishMeta{}, nil, 0, err
	}
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return PublishMeta{}, nil, 0, ErrBodyTruncated
	}
	cl := int64(binary.LittleEndian.Uint32(n[:]))
	if cl > maxCrate {
		return PublishMeta{}, nil, 0, fmt.Errorf("%w: crate of %d bytes (limit %d)", ErrTooLarge, cl, maxCrate)
	}
	if cl == 0 {
		return PublishMeta{}, nil, 0, errors.New("publish body has an empty crate")
	}
	return m, io.LimitReader(r, cl), cl, nil
}

// MaxMetaTokens bounds how many values the JSON part may hold. Decoding
// turns a few bytes into a struct of a hundred (`{},` into a PublishDep), so
// the byte limit alone let 8 MiB of empty dependencies cost about 1 GiB
// before Validate could count them. 100,000 is several times what 1,000
// dependencies and 1,000 features (Validate's limits) take.
const MaxMetaTokens = 100_000

// EncodePublish builds a publish body (tests and tools).
func EncodePublish(meta []byte, crate []byte) []byte {
	out := make([]byte, 0, 8+len(meta)+len(crate))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(meta)))
	out = append(out, meta...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(crate)))
	return append(out, crate...)
}

// Limits on the metadata fields wharf keeps.
const (
	maxDeps     = 1000
	maxFeatures = 1000
	maxField    = 64 << 10
)

// Validate checks the metadata wharf stores and serves.
func (m PublishMeta) Validate() error {
	if !ValidName(m.Name) {
		return fmt.Errorf("invalid crate name %q: crate names are ASCII letters, digits, '-' and '_', start with a letter, at most %d characters", m.Name, MaxNameLen)
	}
	if !ValidVersion(m.Vers) {
		return fmt.Errorf("invalid version %q of crate %s: versions must be SemVer", m.Vers, m.Name)
	}
	if len(m.Deps) > maxDeps || len(m.Features) > maxFeatures {
		return fmt.Errorf("crate %s %s: more than %d dependencies or features", m.Name, m.Vers, maxDeps)
	}
	for _, d := range m.Deps {
		dn := d.Name
		if !ValidName(dn) {
			return fmt.Errorf("crate %s %s: invalid dependency name %q", m.Name, m.Vers, dn)
		}
		if d.ExplicitNameInToml != nil && !ValidName(*d.ExplicitNameInToml) {
			return fmt.Errorf("crate %s %s: invalid dependency rename %q", m.Name, m.Vers, *d.ExplicitNameInToml)
		}
		if len(d.VersionReq) > 1024 {
			return fmt.Errorf("crate %s %s: version requirement of %s too long", m.Name, m.Vers, dn)
		}
	}
	if m.Readme != nil && len(*m.Readme) > 1<<20 {
		return fmt.Errorf("crate %s %s: readme larger than 1 MiB", m.Name, m.Vers)
	}
	for _, s := range []*string{m.Description, m.Homepage, m.Repository, m.Documentation, m.License} {
		if s != nil && len(*s) > maxField {
			return fmt.Errorf("crate %s %s: a metadata field is larger than %d bytes", m.Name, m.Vers, maxField)
		}
	}
	return nil
}

// Entry is the index entry of a published version with the crate's sha256.
// As crates.io does, a renamed dependency is listed under its name in
// Cargo.toml with "package" naming the real crate, and features using the
// newer syntax ("dep:x", "x?/f") go to features2 with v=2.
func (m PublishMeta) Entry(cksum string) Entry {
	e := Entry{Name: m.Name, Vers: m.Vers, Cksum: cksum, Links: m.Links, RustVersion: m.RustVersion, Deps: []Dep{}}
	for _, d := range m.Deps {
		x := Dep{Name: d.Name, Req: d.VersionReq, Features: d.Features, Optional: d.Optional,
			DefaultFeatures: d.DefaultFeatures, Target: d.Target, Kind: d.Kind, Registry: d.Registry}
		if x.Kind == "" {
			x.Kind = "normal"
		}
		if d.ExplicitNameInToml != nil && *d.ExplicitNameInToml != d.Name {
			pkg := d.Name
			x.Name, x.Package = *d.ExplicitNameInToml, &pkg
		}
		e.Deps = append(e.Deps, x)
	}
	sort.SliceStable(e.Deps, func(i, j int) bool { return e.Deps[i].Name < e.Deps[j].Name })
	e.Features = map[string][]string{}
	for k, vs := range m.Features {
		v2 := false
		for _, v := range vs {
			if strings.HasPrefix(v, "dep:") || strings.Contains(v, "?/") {
				v2 = true
			}
		}
		if v2 {
			if e.Features2 == nil {
				e.Features2 = map[string][]string{}
			}
			e.Features2[k] = vs
		} else {
			e.Features[k] = vs
		}
	}
	if e.Features2 != nil {
		e.V = 2
	}
	return e
}
