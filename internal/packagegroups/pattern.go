package packagegroups

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Package group patterns (user guide "Package group definition syntax and
// matching behavior"): a package path /FORMAT/NAMESPACE/NAME cut short and
// ended by a suffix: "*" all values of the next component, "~" a prefix of the
// last one, "$" the exact coordinate. The six allowed forms are the levels
// below, from least to most specific.
const (
	levelAll        = iota // /*
	levelFormat            // /npm/*
	levelNSPrefix          // /maven/com.example~
	levelNamespace         // /npm/space/*   (/npm//* : no namespace)
	levelNamePrefix        // /npm/space/ui~
	levelExact             // /maven/org.example/core$
)

// Pattern is a parsed package group pattern.
type Pattern struct {
	level     int
	format    model.Format
	namespace string // the namespace, or the namespace prefix at levelNSPrefix
	name      string // the name, or the name prefix at levelNamePrefix
}

// formatsWithoutNamespace have no namespace component: their groups name an
// empty one (/pypi//requests$).
var formatsWithoutNamespace = map[model.Format]bool{
	model.FormatPypi: true, model.FormatNuget: true, model.FormatRuby: true, model.FormatCargo: true,
}

// formatsNeedingNamespace must name a namespace when they name a package.
var formatsNeedingNamespace = map[model.Format]bool{
	model.FormatMaven: true, model.FormatGeneric: true, model.FormatSwift: true,
}

func badPattern(p, why string) error {
	return apperr.Validationf("packageGroup %q is not a valid package group pattern: %s", p, why)
}

// Parse validates a pattern and returns it normalized: component
// values percent-decoded, npm scopes without "@", PyPI/NuGet/Swift names
// normalized as CodeArtifact stores them.
func Parse(p string) (Pattern, error) {
	if n := len([]rune(p)); n < 2 || n > 520 {
		return Pattern{}, badPattern(p, "it must be 2-520 characters")
	}
	for _, r := range p {
		if unicode.Is(unicode.C, r) || unicode.IsSpace(r) {
			return Pattern{}, badPattern(p, "it must not contain whitespace or control characters")
		}
	}
	if !strings.HasPrefix(p, "/") {
		return Pattern{}, badPattern(p, "it must start with /")
	}
	if p == model.RootPackageGroup {
		return Pattern{level: levelAll}, nil
	}
	parts := strings.Split(p[1:], "/")
	var g Pattern
	f, err := url.PathUnescape(parts[0])
	if err != nil || !model.ValidFormat(f) {
		return Pattern{}, badPattern(p, "its first component must be a package format (npm, pypi, maven, nuget, generic, ruby, swift, cargo)")
	}
	g.format = model.Format(f)
	last := parts[len(parts)-1]
	var suffix byte
	switch {
	case last == "*":
		suffix = '*'
	case strings.HasSuffix(last, "~"), strings.HasSuffix(last, "$"):
		suffix = last[len(last)-1]
		parts[len(parts)-1] = last[:len(last)-1]
	default:
		return Pattern{}, badPattern(p, "it must end with /*, ~ or $")
	}
	decode := func(s string) (string, error) {
		v, err := url.PathUnescape(s)
		if err != nil || strings.ContainsAny(s, "*~$") {
			return "", badPattern(p, "a component holds an unescaped *, ~ or $ or a bad %-escape; escape them as %2A, %7E, %24")
		}
		return v, nil
	}
	switch {
	case len(parts) == 2 && suffix == '*':
		g.level = levelFormat
	case len(parts) == 2 && suffix == '~':
		g.level = levelNSPrefix
		if g.namespace, err = decode(parts[1]); err != nil {
			return Pattern{}, err
		}
		if g.namespace == "" {
			return Pattern{}, badPattern(p, "a namespace prefix must not be empty")
		}
	case len(parts) == 3 && suffix == '*':
		g.level = levelNamespace
		if g.namespace, err = decode(parts[1]); err != nil {
			return Pattern{}, err
		}
	case len(parts) == 3 && (suffix == '~' || suffix == '$'):
		g.level = levelExact
		if suffix == '~' {
			g.level = levelNamePrefix
		}
		if g.namespace, err = decode(parts[1]); err != nil {
			return Pattern{}, err
		}
		if g.name, err = decode(parts[2]); err != nil {
			return Pattern{}, err
		}
		if g.name == "" {
			return Pattern{}, badPattern(p, "a package name (or name prefix) must not be empty")
		}
		if g.namespace == "" && formatsNeedingNamespace[g.format] {
			return Pattern{}, badPattern(p, string(g.format)+" patterns that name a package must name its namespace")
		}
	default:
		return Pattern{}, badPattern(p, "the allowed forms are /*, /FORMAT/*, /FORMAT/NAMESPACE_PREFIX~, /FORMAT/NAMESPACE/*, /FORMAT/NAMESPACE/NAME_PREFIX~ and /FORMAT/NAMESPACE/NAME$")
	}
	if g.namespace != "" && formatsWithoutNamespace[g.format] {
		return Pattern{}, badPattern(p, string(g.format)+" packages have no namespace: leave it empty, e.g. /"+string(g.format)+"//NAME$")
	}
	for _, v := range []string{g.namespace, g.name} {
		if strings.ContainsAny(v, "#/") || len(v) > 255 {
			return Pattern{}, badPattern(p, "namespaces and names are at most 255 characters without '#' or '/'")
		}
	}
	switch g.format {
	case model.FormatNpm:
		g.namespace = strings.TrimPrefix(g.namespace, "@")
	case model.FormatSwift:
		g.namespace, g.name = strings.ToLower(g.namespace), strings.ToLower(g.name)
	}
	if g.name != "" {
		g.name = model.NormalizeName(g.format, g.name)
	}
	return g, nil
}

// escapeComponent escapes what would end or split a component.
func escapeComponent(s string) string {
	r := strings.NewReplacer("%", "%25", "/", "%2F", "*", "%2A", "~", "%7E", "$", "%24")
	return r.Replace(s)
}

// String renders the canonical form of the pattern: the group's identifier.
func (g Pattern) String() string {
	f := "/" + string(g.format)
	switch g.level {
	case levelAll:
		return model.RootPackageGroup
	case levelFormat:
		return f + "/*"
	case levelNSPrefix:
		return f + "/" + escapeComponent(g.namespace) + "~"
	case levelNamespace:
		return f + "/" + escapeComponent(g.namespace) + "/*"
	case levelNamePrefix:
		return f + "/" + escapeComponent(g.namespace) + "/" + escapeComponent(g.name) + "~"
	default:
		return f + "/" + escapeComponent(g.namespace) + "/" + escapeComponent(g.name) + "$"
	}
}

// isWordChar reports whether r is part of a word for prefix matching.
func isWordChar(r byte) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= 0x80
}

// wordPrefix reports whether prefix is a prefix of v that ends at a word
// boundary of v: "ui" matches "ui" and "ui-kit" but not "uix".
func wordPrefix(v, prefix string) bool {
	if !strings.HasPrefix(v, prefix) {
		return false
	}
	if len(v) == len(prefix) || prefix == "" {
		return true
	}
	return !isWordChar(prefix[len(prefix)-1]) || !isWordChar(v[len(prefix)])
}

// matches reports whether a package (namespace and name as stored) is in the
// pattern's scope; fold compares case-insensitively (a weak match).
func (g Pattern) Matches(f model.Format, ns, name string, fold bool) bool {
	if g.level == levelAll {
		return true
	}
	if f != g.format {
		return false
	}
	gns, gname := g.namespace, g.name
	if fold {
		ns, name, gns, gname = strings.ToLower(ns), strings.ToLower(name), strings.ToLower(gns), strings.ToLower(gname)
	}
	switch g.level {
	case levelFormat:
		return true
	case levelNSPrefix:
		return wordPrefix(ns, gns)
	case levelNamespace:
		return ns == gns
	case levelNamePrefix:
		return ns == gns && wordPrefix(name, gname)
	default:
		return ns == gns && name == gname
	}
}

// contains reports whether every package in o's scope is also in g's, for
// g != o: g is then an ancestor of o in the group hierarchy.
func (g Pattern) Contains(o Pattern) bool {
	if g == o || g.level >= o.level && !(g.level == o.level && (g.level == levelNSPrefix || g.level == levelNamePrefix)) {
		return false
	}
	switch g.level {
	case levelAll:
		return true
	case levelFormat:
		return g.format == o.format
	case levelNSPrefix:
		if o.level == levelNSPrefix {
			return g.format == o.format && len(o.namespace) > len(g.namespace) && wordPrefix(o.namespace, g.namespace)
		}
		return g.format == o.format && wordPrefix(o.namespace, g.namespace)
	case levelNamespace:
		return g.format == o.format && g.namespace == o.namespace
	case levelNamePrefix:
		if o.format != g.format || o.namespace != g.namespace {
			return false
		}
		if o.level == levelNamePrefix {
			return len(o.name) > len(g.name) && wordPrefix(o.name, g.name)
		}
		return wordPrefix(o.name, g.name)
	}
	return false
}

// moreSpecific orders patterns by specificity: by level, then by the length
// of the prefix or value at that level.
func (g Pattern) MoreSpecific(o Pattern) bool {
	if g.level != o.level {
		return g.level > o.level
	}
	return len(g.namespace)+len(g.name) > len(o.namespace)+len(o.name)
}

// IsRoot reports whether the pattern is the root group's, /*.
func (g Pattern) IsRoot() bool { return g.level == levelAll }
