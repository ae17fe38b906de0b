package maven

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Metadata is maven-metadata.xml (artifact or SNAPSHOT-version level).
type Metadata struct {
	XMLName    xml.Name    `xml:"metadata"`
	ModelVer   string      `xml:"modelVersion,attr,omitempty"`
	GroupID    string      `xml:"groupId,omitempty"`
	ArtifactID string      `xml:"artifactId,omitempty"`
	Version    string      `xml:"version,omitempty"`
	Versioning *Versioning `xml:"versioning,omitempty"`
}

// Versioning is the <versioning> element.
type Versioning struct {
	Latest           string            `xml:"latest,omitempty"`
	Release          string            `xml:"release,omitempty"`
	Snapshot         *SnapshotInfo     `xml:"snapshot,omitempty"`
	Versions         []string          `xml:"versions>version,omitempty"`
	LastUpdated      string            `xml:"lastUpdated,omitempty"`
	SnapshotVersions []SnapshotVersion `xml:"snapshotVersions>snapshotVersion,omitempty"`
}

// SnapshotInfo is <snapshot>: the latest timestamped build.
type SnapshotInfo struct {
	Timestamp   string `xml:"timestamp,omitempty"`
	BuildNumber int    `xml:"buildNumber,omitempty"`
}

// SnapshotVersion is one <snapshotVersion>.
type SnapshotVersion struct {
	Classifier string `xml:"classifier,omitempty"`
	Extension  string `xml:"extension"`
	Value      string `xml:"value"`
	Updated    string `xml:"updated"`
}

// ParseMetadata parses an uploaded or upstream maven-metadata.xml.
func ParseMetadata(b []byte) (Metadata, error) {
	if err := checkAttributes(b, "maven-metadata.xml"); err != nil {
		return Metadata{}, err
	}
	var m Metadata
	if err := xml.Unmarshal(b, &m); err != nil {
		return Metadata{}, apperr.Validationf("malformed maven-metadata.xml: %v", err)
	}
	return m, nil
}

// MaxXMLAttributes bounds the attributes of a POM or maven-metadata.xml.
// encoding/xml holds every attribute of an element at once (48 bytes each,
// plus the slice's growth), so a 16 MiB POM whose root carried 3 million
// empty attributes cost 450 MiB. Real POMs have tens to hundreds.
const MaxXMLAttributes = 100_000

// checkAttributes refuses a document that may hold more than
// MaxXMLAttributes attributes, before it is parsed. Every attribute (strict
// XML, which xml.Unmarshal is) is written name, '=', optional white space and
// a quote; counting that pattern anywhere (text and comments included) is an
// upper bound that no markup can hide from, and the runs of '=' that
// comments use as rules do not match it.
func checkAttributes(b []byte, what string) error {
	n := 0
	for i, c := range b {
		if c != '=' {
			continue
		}
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
			j++
		}
		if j < len(b) && (b[j] == '"' || b[j] == '\'') {
			if n++; n > MaxXMLAttributes {
				return apperr.New(apperr.TooLarge, "the %s has more than %d attributes", what, MaxXMLAttributes)
			}
		}
	}
	return nil
}

// Encode renders metadata as Maven writes it.
func (m Metadata) Encode() []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	_ = enc.Encode(m)
	b.WriteString("\n")
	return b.Bytes()
}

const tsLayout = "20060102150405"

// ArtifactMetadata builds the artifact-level document from the versions the
// chain (and upstream) hold; updated is the newest publication time, so the
// document and its checksums stay the same between requests.
func ArtifactMetadata(group, artifact string, versions []string, updated time.Time) Metadata {
	vs := append([]string(nil), versions...)
	sort.Slice(vs, func(i, j int) bool { return CompareVersions(vs[i], vs[j]) < 0 })
	vs = dedupe(vs)
	v := &Versioning{Versions: vs, LastUpdated: updated.UTC().Format(tsLayout)}
	if len(vs) > 0 {
		v.Latest = vs[len(vs)-1]
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !Snapshot(vs[i]) {
			v.Release = vs[i]
			break
		}
	}
	return Metadata{GroupID: group, ArtifactID: artifact, Versioning: v}
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// snapshotFile matches ARTIFACT-BASE-yyyyMMdd.HHmmss-N[-classifier].ext after
// the "ARTIFACT-BASE-" prefix has been removed.
var snapshotFileRe = regexp.MustCompile(`^(\d{8}\.\d{6})-(\d+)(?:-([^.]+))?\.(.+)$`)

// SnapshotMetadata builds a SNAPSHOT version's document from its timestamped
// files, as the deploying Maven would: the newest build and, per classifier
// and extension, the newest file.
func SnapshotMetadata(group, artifact, version string, files []string) (Metadata, bool) {
	base := strings.TrimSuffix(version, "SNAPSHOT")
	prefix := artifact + "-" + base
	type key struct{ cls, ext string }
	latest := map[key]SnapshotVersion{}
	var snap SnapshotInfo
	for _, f := range files {
		rest, ok := strings.CutPrefix(f, prefix)
		if !ok {
			continue
		}
		m := snapshotFileRe.FindStringSubmatch(rest)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		ts := strings.ReplaceAll(m[1], ".", "")
		if n > snap.BuildNumber || (n == snap.BuildNumber && m[1] > snap.Timestamp) {
			snap = SnapshotInfo{Timestamp: m[1], BuildNumber: n}
		}
		k := key{m[3], m[4]}
		value := base + m[1] + "-" + m[2]
		if cur, ok := latest[k]; !ok || cur.Updated < ts || (cur.Updated == ts && cur.Value < value) {
			latest[k] = SnapshotVersion{Classifier: m[3], Extension: m[4], Value: value, Updated: ts}
		}
	}
	if snap.BuildNumber == 0 {
		return Metadata{}, false
	}
	v := &Versioning{Snapshot: &snap, LastUpdated: strings.ReplaceAll(snap.Timestamp, ".", "")}
	for _, sv := range latest {
		v.SnapshotVersions = append(v.SnapshotVersions, sv)
	}
	sort.Slice(v.SnapshotVersions, func(i, j int) bool {
		a, b := v.SnapshotVersions[i], v.SnapshotVersions[j]
		if a.Extension != b.Extension {
			return a.Extension < b.Extension
		}
		return a.Classifier < b.Classifier
	})
	return Metadata{ModelVer: "1.1.0", GroupID: group, ArtifactID: artifact, Version: version, Versioning: v}, true
}

// Pom is the part of a POM wharf reads.
type Pom struct {
	XMLName     xml.Name `xml:"project"`
	GroupID     string   `xml:"groupId"`
	ArtifactID  string   `xml:"artifactId"`
	Version     string   `xml:"version"`
	Packaging   string   `xml:"packaging"`
	Name        string   `xml:"name"`
	Description string   `xml:"description"`
	URL         string   `xml:"url"`
	Parent      struct {
		GroupID string `xml:"groupId"`
		Version string `xml:"version"`
	} `xml:"parent"`
	Licenses pomList[struct {
		Name string `xml:"name"`
		URL  string `xml:"url"`
	}] `xml:"licenses>license"`
	SCM struct {
		URL string `xml:"url"`
	} `xml:"scm"`
	Dependencies pomList[struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
		Scope      string `xml:"scope"`
	}] `xml:"dependencies>dependency"`
}

// MaxPomListItems bounds the licenses and the dependencies a POM may list.
// Decoding makes a struct of 64 bytes of each 13-byte <dependency/>, so the
// byte limit alone let a 16 MiB POM of empty dependencies cost 600 MiB and
// store 1.3 million dependency rows. Real POMs list at most hundreds.
const MaxPomListItems = 10_000

// pomList is a list of POM elements that stops decoding at MaxPomListItems:
// encoding/xml hands it each element in turn.
type pomList[T any] []T

func (l *pomList[T]) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if len(*l) >= MaxPomListItems {
		return errPomList{start.Name.Local}
	}
	var x T
	if err := d.DecodeElement(&x, &start); err != nil {
		return err
	}
	*l = append(*l, x)
	return nil
}

type errPomList struct{ element string }

func (e errPomList) Error() string {
	return fmt.Sprintf("the POM has more than %d %s elements", MaxPomListItems, e.element)
}

// ParsePom parses a POM and checks it describes the coordinates it is deployed
// under (groupId and version may come from the parent).
func ParsePom(b []byte, group, artifact, version string) (Pom, error) {
	if err := checkAttributes(b, "POM"); err != nil {
		return Pom{}, err
	}
	var p Pom
	if err := xml.Unmarshal(b, &p); err != nil {
		var tooMany errPomList
		if errors.As(err, &tooMany) {
			return Pom{}, apperr.New(apperr.TooLarge, "%v", tooMany)
		}
		return Pom{}, apperr.Validationf("malformed POM: %v", err)
	}
	g, v := p.GroupID, p.Version
	if g == "" {
		g = p.Parent.GroupID
	}
	if v == "" {
		v = p.Parent.Version
	}
	if g != group || p.ArtifactID != artifact || v != version {
		return Pom{}, apperr.Validationf("POM coordinates %s:%s:%s do not match the deploy path %s:%s:%s", g, p.ArtifactID, v, group, artifact, version)
	}
	return p, nil
}

// Apply copies the POM's descriptive fields into a version row.
func (p Pom) Apply(v *model.PackageVersion) {
	v.Summary = strings.TrimSpace(p.Description)
	v.HomePage = strings.TrimSpace(p.URL)
	v.SourceCode = strings.TrimSpace(p.SCM.URL)
	v.DisplayName = strings.TrimSpace(p.Name)
	v.Licenses = nil
	for _, l := range p.Licenses {
		n, u := strings.TrimSpace(l.Name), strings.TrimSpace(l.URL)
		if n != "" || u != "" {
			v.Licenses = append(v.Licenses, model.License{Name: n, URL: u})
		}
	}
	v.Dependencies = nil
	for _, d := range p.Dependencies {
		scope := d.Scope
		if scope == "" {
			scope = "compile"
		}
		v.Dependencies = append(v.Dependencies, model.Dependency{Namespace: d.GroupID, Package: d.ArtifactID, DependencyType: scope, VersionReq: d.Version})
	}
	v.Metadata = []byte(fmt.Sprintf(`{"packaging":%q}`, p.Packaging))
}

// CompareVersions orders Maven versions the way ComparableVersion does for the
// common cases: numeric parts numerically, qualifiers alpha < beta < milestone
// < rc < snapshot < release < sp, anything else after them alphabetically.
func CompareVersions(a, b string) int {
	ta, tb := tokens(a), tokens(b)
	for i := 0; i < len(ta) || i < len(tb); i++ {
		var x, y token
		if i < len(ta) {
			x = ta[i]
		} else {
			x = token{end: true}
		}
		if i < len(tb) {
			y = tb[i]
		} else {
			y = token{end: true}
		}
		if c := x.cmp(y); c != 0 {
			return c
		}
	}
	return 0
}

type token struct {
	end bool // past the last token: a 0, or the release qualifier
	num bool
	n   int64
	s   string
}

var qualifierRank = map[string]int{"alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3, "m": 3, "rc": 4, "cr": 4, "snapshot": 5, "": 6, "ga": 6, "final": 6, "release": 6, "sp": 7}

func (t token) cmp(o token) int {
	switch {
	case t.end && o.end:
		return 0
	case t.end && o.num:
		return cmpInt(0, o.n)
	case t.end:
		return -o.cmp(t)
	case o.end && t.num:
		return cmpInt(t.n, 0)
	case o.end:
		return cmpInt(int64(rank(t.s)), 6)
	case t.num && o.num:
		return cmpInt(t.n, o.n)
	case t.num:
		return 1 // a number is newer than any qualifier at the same place
	case o.num:
		return -1
	}
	if c := cmpInt(int64(rank(t.s)), int64(rank(o.s))); c != 0 {
		return c
	}
	return strings.Compare(t.s, o.s)
}

// rank orders qualifiers; unknown ones come after all known ones.
func rank(q string) int {
	if r, ok := qualifierRank[q]; ok {
		return r
	}
	return 8
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var tokenRe = regexp.MustCompile(`\d+|[A-Za-z]+`)

func tokens(v string) []token {
	var out []token
	for _, s := range tokenRe.FindAllString(strings.ToLower(v), -1) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, token{num: true, n: n})
		} else {
			out = append(out, token{s: s})
		}
	}
	// Trailing zeros do not count: 1.0 == 1.
	for len(out) > 0 && out[len(out)-1].num && out[len(out)-1].n == 0 {
		out = out[:len(out)-1]
	}
	return out
}
