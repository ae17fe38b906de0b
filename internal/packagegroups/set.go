// Package packagegroups is the one package-group matcher: pattern parsing and
// normalization, the hierarchy (parents by containment), which group a package
// belongs to, and each group's effective origin restriction modes. The API
// (DescribePackageGroup, GetAssociatedPackageGroup, ...) reports from it and
// the package engine enforces from it, so what is reported is what is enforced.
package packagegroups

import (
	"context"
	"sort"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// Association types (PackageGroupAssociationType).
const (
	AssociationStrong = "STRONG"
	AssociationWeak   = "WEAK"
)

// Lister is the part of the store a Set is loaded from.
type Lister interface {
	ListPackageGroups(ctx context.Context, owner, domain, prefix string, p store.Page) ([]model.PackageGroup, string, error)
}

// Set is every group of one domain, the implicit root included, by pattern.
type Set struct {
	Domain   model.Domain
	Groups   []model.PackageGroup // by pattern
	patterns []Pattern
	// Stored names the groups that have a row (the root may not).
	Stored map[string]bool
}

// Load reads the domain's groups. Only d's Owner and Name are needed to
// decide; Region and CreatedAt fill in the implicit root for reporting.
func Load(ctx context.Context, st Lister, d model.Domain) (*Set, error) {
	set := &Set{Domain: d, Stored: map[string]bool{}}
	p := store.Page{Limit: 1000}
	for {
		gs, next, err := st.ListPackageGroups(ctx, d.Owner, d.Name, "", p)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			set.Stored[g.Pattern] = true
			set.Add(g)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if !set.Stored[model.RootPackageGroup] {
		set.Add(model.PackageGroup{
			DomainOwner: d.Owner, DomainName: d.Name, Region: d.Region, Pattern: model.RootPackageGroup, CreatedAt: d.CreatedAt,
		})
	}
	set.sort()
	return set, nil
}

// Add appends a group (a stored one, or a preview of one not yet created).
func (set *Set) Add(g model.PackageGroup) {
	gp, err := Parse(g.Pattern)
	if err != nil {
		return // not reachable: stored patterns were validated
	}
	set.Groups = append(set.Groups, g)
	set.patterns = append(set.patterns, gp)
}

func (set *Set) sort() {
	idx := make([]int, len(set.Groups))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return set.Groups[idx[a]].Pattern < set.Groups[idx[b]].Pattern })
	gs, ps := make([]model.PackageGroup, len(idx)), make([]Pattern, len(idx))
	for i, j := range idx {
		gs[i], ps[i] = set.Groups[j], set.patterns[j]
	}
	set.Groups, set.patterns = gs, ps
}

// Find returns the index of the group with the (normalized) pattern, -1 if none.
func (set *Set) Find(pattern string) int {
	for i, g := range set.Groups {
		if g.Pattern == pattern {
			return i
		}
	}
	return -1
}

// Parent returns the index of group i's parent, -1 for the root.
func (set *Set) Parent(i int) int {
	best := -1
	for j, p := range set.patterns {
		if j != i && p.Contains(set.patterns[i]) && (best < 0 || p.MoreSpecific(set.patterns[best])) {
			best = j
		}
	}
	return best
}

// Associated returns the group a package belongs to and how, -1 when none
// (not reachable while the root exists). ns and name are as stored (npm scope
// without "@", names normalized).
func (set *Set) Associated(f model.Format, ns, name string) (int, string) {
	best, kind := -1, ""
	for j, p := range set.patterns {
		k := ""
		switch {
		case p.Matches(f, ns, name, false):
			k = AssociationStrong
		case p.Matches(f, ns, name, true):
			k = AssociationWeak
		default:
			continue
		}
		if best < 0 || p.MoreSpecific(set.patterns[best]) ||
			!set.patterns[best].MoreSpecific(p) && kind == AssociationWeak && k == AssociationStrong {
			best, kind = j, k
		}
	}
	return best, kind
}

// Mode is group i's own mode for a restriction type: unset is INHERIT, except
// on the root, where it is ALLOW.
func (set *Set) Mode(i int, t string) string {
	g := set.Groups[i]
	if m := g.Restrictions[t]; m != "" {
		return m
	}
	if g.Pattern == model.RootPackageGroup {
		return model.ModeAllow
	}
	return model.ModeInherit
}

// Effective is group i's effective mode for a restriction type — its own, or
// the nearest ancestor's that is not INHERIT — and the index of the group it
// comes from (i itself when not inherited). That group's allowed list is the
// one ALLOW_SPECIFIC_REPOSITORIES consults.
func (set *Set) Effective(i int, t string) (mode string, from int) {
	mode, from = set.Mode(i, t), i
	for j := set.Parent(i); mode == model.ModeInherit && j >= 0; j = set.Parent(j) {
		if m := set.Mode(j, t); m != model.ModeInherit {
			mode, from = m, j
		}
	}
	return mode, from
}

// Decision is what a package's group says about one restriction type for one
// repository.
type Decision struct {
	Allowed bool
	Group   model.PackageGroup // the package's group
	Mode    string             // its effective mode
	// From is the group the mode (and the allowed list) comes from.
	From model.PackageGroup
}

// Decide applies the effective restriction of the package's group: ALLOW
// allows, BLOCK refuses, ALLOW_SPECIFIC_REPOSITORIES allows exactly the
// repositories on the allowed list of the group the mode comes from.
func (set *Set) Decide(f model.Format, ns, name, restriction, repo string) Decision {
	i, _ := set.Associated(f, ns, name)
	if i < 0 {
		return Decision{Allowed: true, Mode: model.ModeAllow}
	}
	mode, from := set.Effective(i, restriction)
	d := Decision{Group: set.Groups[i], Mode: mode, From: set.Groups[from]}
	switch mode {
	case model.ModeBlock:
	case model.ModeAllowSpecificRepositories:
		for _, r := range set.Groups[from].AllowedRepositories[restriction] {
			if r == repo {
				d.Allowed = true
			}
		}
	default:
		d.Allowed = true
	}
	return d
}
