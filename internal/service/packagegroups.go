package service

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packagegroups"
	"github.com/wharf-dev/wharf/internal/paging"
	"github.com/wharf-dev/wharf/internal/store"
)

// Package groups: a domain's groups form a hierarchy by pattern containment
// (a group's parent is the most specific other group containing it; "/*" is
// the implicit root), and a package belongs to the most specific group whose
// pattern matches it. Parents are computed, never stored, so deleting a group
// re-parents its children as the user guide describes.

// Association types (PackageGroupAssociationType).
const (
	AssociationStrong = packagegroups.AssociationStrong
	AssociationWeak   = packagegroups.AssociationWeak
)

// GroupRef names a package group as PackageGroupReference does.
type GroupRef struct {
	Pattern string
	ARN     string
}

// RestrictionInfo is one restriction type of a group's origin configuration.
type RestrictionInfo struct {
	Mode          string
	EffectiveMode string
	// InheritedFrom is the ancestor whose mode applies when Mode is INHERIT.
	InheritedFrom *GroupRef
	// RepositoriesCount is the size of this group's allowed list for the type.
	RepositoriesCount int64
}

// PackageGroupInfo is a group with what is derived from the hierarchy.
type PackageGroupInfo struct {
	model.PackageGroup
	Parent       *GroupRef // nil for the root
	Restrictions map[string]RestrictionInfo
}

// AssociatedPackage is a package of the domain and how it belongs to a group.
type AssociatedPackage struct {
	Format          model.Format
	Namespace, Name string
	AssociationType string
}

// AllowedRepositoryChange names a repository to add to or remove from a
// restriction type's allowed list.
type AllowedRepositoryChange struct {
	RestrictionType string
	Repository      string
}

// groupSet is every group of one domain (packagegroups.Set, the one matcher
// the engine enforces from), with the API's reporting on top.
type groupSet struct{ *packagegroups.Set }

func (s *Service) groupSet(ctx context.Context, d model.Domain) (*groupSet, error) {
	set, err := packagegroups.Load(ctx, s.Store, d)
	if err != nil {
		return nil, err
	}
	return &groupSet{set}, nil
}

func ref(g model.PackageGroup) *GroupRef { return &GroupRef{Pattern: g.Pattern, ARN: g.ARN()} }

// info derives group i's parent and effective origin configuration.
func (set *groupSet) info(i int) PackageGroupInfo {
	g := set.Groups[i]
	out := PackageGroupInfo{PackageGroup: g, Restrictions: map[string]RestrictionInfo{}}
	if parent := set.Parent(i); parent >= 0 {
		out.Parent = ref(set.Groups[parent])
	}
	for _, t := range model.RestrictionTypes {
		ri := RestrictionInfo{Mode: set.Mode(i, t), RepositoriesCount: int64(len(g.AllowedRepositories[t]))}
		var from int
		ri.EffectiveMode, from = set.Effective(i, t)
		if from != i {
			ri.InheritedFrom = ref(set.Groups[from])
		}
		out.Restrictions[t] = ri
	}
	return out
}

func validContactInfo(s string) error {
	if utf8.RuneCountInString(s) > 1000 || hasControl(s) {
		return apperr.Validationf("contactInfo must be at most 1000 characters without control characters")
	}
	return nil
}

func groupNotFound(pattern string) error {
	return apperr.NotFoundf("package-group", pattern, "Package group not found: %s", pattern)
}

// groupIn loads the domain's groups and finds one by (normalized) pattern.
func (s *Service) groupIn(ctx context.Context, c Caller, ownerParam, domain, pattern, action string) (*groupSet, int, error) {
	gp, err := packagegroups.Parse(pattern)
	if err != nil {
		return nil, 0, err
	}
	d, err := s.domain(ctx, c, ownerParam, domain, action)
	if err != nil {
		return nil, 0, err
	}
	set, err := s.groupSet(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	i := set.Find(gp.String())
	if i < 0 {
		return nil, 0, groupNotFound(gp.String())
	}
	return set, i, nil
}

// saveGroup writes a changed group, storing the implicit root on first change.
func (s *Service) saveGroup(ctx context.Context, set *groupSet, g model.PackageGroup) error {
	err := s.Store.UpdatePackageGroup(ctx, g)
	if apperr.Is(err, apperr.NotFound) && g.Pattern == model.RootPackageGroup {
		err = s.Store.CreatePackageGroup(ctx, g, nil)
		if apperr.Is(err, apperr.Conflict) { // stored concurrently: update it
			err = s.Store.UpdatePackageGroup(ctx, g)
		}
	}
	if apperr.Is(err, apperr.NotFound) {
		return groupNotFound(g.Pattern)
	}
	return err
}

// CreatePackageGroup creates a group; its pattern is normalized first.
func (s *Service) CreatePackageGroup(ctx context.Context, c Caller, ownerParam, domain, pattern, contactInfo, description string, tags []model.Tag) (PackageGroupInfo, error) {
	gp, err := packagegroups.Parse(pattern)
	if err != nil {
		return PackageGroupInfo{}, err
	}
	if err := validContactInfo(contactInfo); err != nil {
		return PackageGroupInfo{}, err
	}
	if err := validDescription(description); err != nil {
		return PackageGroupInfo{}, err
	}
	if err := validTags(tags); err != nil {
		return PackageGroupInfo{}, err
	}
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:CreatePackageGroup")
	if err != nil {
		return PackageGroupInfo{}, err
	}
	if gp.IsRoot() {
		return PackageGroupInfo{}, apperr.Conflictf("package-group", model.RootPackageGroup, "Package group %s already exists: every domain has it", model.RootPackageGroup)
	}
	g := model.PackageGroup{
		DomainOwner: d.Owner, DomainName: d.Name, Region: d.Region, Pattern: gp.String(),
		ContactInfo: contactInfo, Description: description, CreatedAt: s.now(),
	}
	if err := s.Store.CreatePackageGroup(ctx, g, tags); err != nil {
		if apperr.Is(err, apperr.Conflict) {
			return PackageGroupInfo{}, apperr.Conflictf("package-group", g.Pattern, "Package group %s already exists in domain %s", g.Pattern, d.Name)
		}
		return PackageGroupInfo{}, err
	}
	return s.describeGroup(ctx, d, g.Pattern)
}

func (s *Service) describeGroup(ctx context.Context, d model.Domain, pattern string) (PackageGroupInfo, error) {
	set, err := s.groupSet(ctx, d)
	if err != nil {
		return PackageGroupInfo{}, err
	}
	i := set.Find(pattern)
	if i < 0 {
		return PackageGroupInfo{}, groupNotFound(pattern)
	}
	return set.info(i), nil
}

// DescribePackageGroup returns one group; "/*" exists in every domain.
func (s *Service) DescribePackageGroup(ctx context.Context, c Caller, ownerParam, domain, pattern string) (PackageGroupInfo, error) {
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:DescribePackageGroup")
	if err != nil {
		return PackageGroupInfo{}, err
	}
	return set.info(i), nil
}

// UpdatePackageGroup changes a group's contact info and description; nil
// leaves a field as it is.
func (s *Service) UpdatePackageGroup(ctx context.Context, c Caller, ownerParam, domain, pattern string, contactInfo, description *string) (PackageGroupInfo, error) {
	if contactInfo != nil {
		if err := validContactInfo(*contactInfo); err != nil {
			return PackageGroupInfo{}, err
		}
	}
	if description != nil {
		if err := validDescription(*description); err != nil {
			return PackageGroupInfo{}, err
		}
	}
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:UpdatePackageGroup")
	if err != nil {
		return PackageGroupInfo{}, err
	}
	g := set.Groups[i]
	if contactInfo != nil {
		g.ContactInfo = *contactInfo
	}
	if description != nil {
		g.Description = *description
	}
	if err := s.saveGroup(ctx, set, g); err != nil {
		return PackageGroupInfo{}, err
	}
	set.Groups[i] = g
	return set.info(i), nil
}

// DeletePackageGroup deletes a group (not the root); its children become
// children of its parent. It answers the group as it was.
func (s *Service) DeletePackageGroup(ctx context.Context, c Caller, ownerParam, domain, pattern string) (PackageGroupInfo, error) {
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:DeletePackageGroup")
	if err != nil {
		return PackageGroupInfo{}, err
	}
	if set.Groups[i].Pattern == model.RootPackageGroup {
		return PackageGroupInfo{}, apperr.Validationf("the root package group %s cannot be deleted", model.RootPackageGroup)
	}
	info := set.info(i)
	if err := s.Store.DeletePackageGroup(ctx, set.Domain.Owner, set.Domain.Name, info.Pattern); err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return PackageGroupInfo{}, groupNotFound(info.Pattern)
		}
		return PackageGroupInfo{}, err
	}
	return info, nil
}

// infos pages the groups keep selects; kind names the list in its cursors.
func (set *groupSet) infos(kind string, keep func(i int) bool, p Page) ([]PackageGroupInfo, string, error) {
	var idx []int
	for i := range set.Groups {
		if keep(i) {
			idx = append(idx, i)
		}
	}
	idx, next, err := paging.Keyset(idx, kind, func(i int) string { return set.Groups[i].Pattern }, p.Token, p.Limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]PackageGroupInfo, 0, len(idx))
	for _, i := range idx {
		out = append(out, set.info(i))
	}
	return out, next, nil
}

// ListPackageGroups lists a domain's groups (the root included) by pattern,
// keeping those whose pattern starts with prefix.
func (s *Service) ListPackageGroups(ctx context.Context, c Caller, ownerParam, domain, prefix string, p Page) ([]PackageGroupInfo, string, error) {
	if utf8.RuneCountInString(prefix) > 520 || hasControl(prefix) {
		return nil, "", apperr.Validationf("prefix must be at most 520 characters without control characters")
	}
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:ListPackageGroups")
	if err != nil {
		return nil, "", err
	}
	set, err := s.groupSet(ctx, d)
	if err != nil {
		return nil, "", err
	}
	return set.infos("package-groups", func(i int) bool { return strings.HasPrefix(set.Groups[i].Pattern, prefix) }, p)
}

// ListSubPackageGroups lists a group's direct children.
func (s *Service) ListSubPackageGroups(ctx context.Context, c Caller, ownerParam, domain, pattern string, p Page) ([]PackageGroupInfo, string, error) {
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:ListSubPackageGroups")
	if err != nil {
		return nil, "", err
	}
	return set.infos("sub-package-groups "+set.Groups[i].Pattern, func(j int) bool { return set.Parent(j) == i }, p)
}

func validRestrictionType(t string) error {
	for _, x := range model.RestrictionTypes {
		if x == t {
			return nil
		}
	}
	return apperr.Validationf("originRestrictionType %q is not one of EXTERNAL_UPSTREAM, INTERNAL_UPSTREAM, PUBLISH", t)
}

// UpdatePackageGroupOriginConfiguration sets restriction modes and edits the
// allowed repository lists. Added repositories must exist in the domain. It
// answers the group and, per restriction type, the repositories added and
// removed by this request.
func (s *Service) UpdatePackageGroupOriginConfiguration(ctx context.Context, c Caller, ownerParam, domain, pattern string,
	restrictions map[string]string, add, remove []AllowedRepositoryChange) (PackageGroupInfo, map[string]map[string][]string, error) {
	for t, m := range restrictions {
		if err := validRestrictionType(t); err != nil {
			return PackageGroupInfo{}, nil, err
		}
		switch m {
		case model.ModeAllow, model.ModeAllowSpecificRepositories, model.ModeBlock, model.ModeInherit:
		default:
			return PackageGroupInfo{}, nil, apperr.Validationf("restriction mode %q is not one of ALLOW, ALLOW_SPECIFIC_REPOSITORIES, BLOCK, INHERIT", m)
		}
	}
	for _, ch := range append(append([]AllowedRepositoryChange{}, add...), remove...) {
		if err := validRestrictionType(ch.RestrictionType); err != nil {
			return PackageGroupInfo{}, nil, err
		}
		if err := validRepositoryName(ch.Repository); err != nil {
			return PackageGroupInfo{}, nil, err
		}
	}
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:UpdatePackageGroupOriginConfiguration")
	if err != nil {
		return PackageGroupInfo{}, nil, err
	}
	g := set.Groups[i]
	if g.Pattern == model.RootPackageGroup {
		for _, m := range restrictions {
			if m == model.ModeInherit {
				return PackageGroupInfo{}, nil, apperr.Validationf("the root package group %s has no parent to inherit from", model.RootPackageGroup)
			}
		}
	}
	for _, ch := range add {
		if _, err := s.Store.GetRepository(ctx, set.Domain.Owner, set.Domain.Name, ch.Repository); err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return PackageGroupInfo{}, nil, apperr.NotFoundf("repository", ch.Repository, "Repository not found: %s", ch.Repository)
			}
			return PackageGroupInfo{}, nil, err
		}
	}
	newRestrictions := map[string]string{}
	for t, m := range g.Restrictions {
		newRestrictions[t] = m
	}
	for t, m := range restrictions {
		newRestrictions[t] = m
	}
	lists := map[string]map[string]bool{}
	for t, rs := range g.AllowedRepositories {
		lists[t] = map[string]bool{}
		for _, r := range rs {
			lists[t][r] = true
		}
	}
	updates := map[string]map[string][]string{}
	note := func(t, kind, repo string) {
		if updates[t] == nil {
			updates[t] = map[string][]string{}
		}
		for _, r := range updates[t][kind] {
			if r == repo {
				return
			}
		}
		updates[t][kind] = append(updates[t][kind], repo)
	}
	for _, ch := range add {
		if lists[ch.RestrictionType] == nil {
			lists[ch.RestrictionType] = map[string]bool{}
		}
		lists[ch.RestrictionType][ch.Repository] = true
		note(ch.RestrictionType, "ADDED", ch.Repository)
	}
	for _, ch := range remove {
		delete(lists[ch.RestrictionType], ch.Repository)
		note(ch.RestrictionType, "REMOVED", ch.Repository)
	}
	allowed := map[string][]string{}
	for t, set := range lists {
		for r := range set {
			allowed[t] = append(allowed[t], r)
		}
		sort.Strings(allowed[t])
	}
	g.Restrictions, g.AllowedRepositories = newRestrictions, allowed
	if len(g.Restrictions) == 0 {
		g.Restrictions = nil
	}
	if len(g.AllowedRepositories) == 0 {
		g.AllowedRepositories = nil
	}
	if err := s.saveGroup(ctx, set, g); err != nil {
		return PackageGroupInfo{}, nil, err
	}
	set.Groups[i] = g
	// Package is the group's pattern: origin configuration of a group of packages.
	s.record(ctx, model.AuditRecord{Action: "UpdatePackageGroupOriginConfiguration", DomainOwner: set.Domain.Owner, DomainName: set.Domain.Name,
		Package: g.Pattern, Detail: model.AuditDetail{ResourceARN: g.Pattern}})
	return set.info(i), updates, nil
}

// ListAllowedRepositoriesForGroup lists the allowed list of one restriction
// type of a group, by repository name.
func (s *Service) ListAllowedRepositoriesForGroup(ctx context.Context, c Caller, ownerParam, domain, pattern, restrictionType string, p Page) ([]string, string, error) {
	if err := validRestrictionType(restrictionType); err != nil {
		return nil, "", err
	}
	set, i, err := s.groupIn(ctx, c, ownerParam, domain, pattern, "codeartifact:ListAllowedRepositoriesForGroup")
	if err != nil {
		return nil, "", err
	}
	repos, next, err := paging.Keyset(set.Groups[i].AllowedRepositories[restrictionType], "allowed-repositories/"+restrictionType,
		func(r string) string { return r }, p.Token, p.Limit)
	if err != nil {
		return nil, "", err
	}
	return append([]string{}, repos...), next, nil
}

// domainPackages lists every package of the domain's repositories once, by
// (format, namespace, name).
func (s *Service) domainPackages(ctx context.Context, d model.Domain) ([]AssociatedPackage, error) {
	repos, _, err := s.Store.ListRepositories(ctx, store.RepositoryFilter{DomainOwner: d.Owner, DomainName: d.Name}, store.Page{})
	if err != nil {
		return nil, err
	}
	seen := map[AssociatedPackage]bool{}
	var out []AssociatedPackage
	for _, r := range repos {
		pkgs, _, err := s.Store.ListPackages(ctx, d.Owner, d.Name, r.Name, store.PackageFilter{}, store.Page{})
		if err != nil {
			return nil, err
		}
		for _, p := range pkgs {
			k := AssociatedPackage{Format: p.Format, Namespace: p.Namespace, Name: p.Name}
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(a, b int) bool { return assocKey(out[a]) < assocKey(out[b]) })
	return out, nil
}

// assocKey orders and pages associated packages; NUL cannot occur in names.
func assocKey(p AssociatedPackage) string {
	return string(p.Format) + "\x00" + p.Namespace + "\x00" + p.Name
}

// ListAssociatedPackages lists the domain's packages whose group is the given
// one. With preview the group need not exist: the answer is what would be
// associated with it were it created.
func (s *Service) ListAssociatedPackages(ctx context.Context, c Caller, ownerParam, domain, pattern string, preview bool, p Page) ([]AssociatedPackage, string, error) {
	gp, err := packagegroups.Parse(pattern)
	if err != nil {
		return nil, "", err
	}
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:ListAssociatedPackages")
	if err != nil {
		return nil, "", err
	}
	set, err := s.groupSet(ctx, d)
	if err != nil {
		return nil, "", err
	}
	i := set.Find(gp.String())
	if i < 0 {
		if !preview {
			return nil, "", groupNotFound(gp.String())
		}
		set.Add(model.PackageGroup{DomainOwner: d.Owner, DomainName: d.Name, Region: d.Region, Pattern: gp.String()})
		i = len(set.Groups) - 1
	}
	pkgs, err := s.domainPackages(ctx, d)
	if err != nil {
		return nil, "", err
	}
	var out []AssociatedPackage
	for _, pk := range pkgs {
		if j, kind := set.Associated(pk.Format, pk.Namespace, pk.Name); j == i {
			pk.AssociationType = kind
			out = append(out, pk)
		}
	}
	return paging.Keyset(out, "associated-packages", assocKey, p.Token, p.Limit)
}

// GetAssociatedPackageGroup returns the group a package would belong to; the
// package need not exist.
func (s *Service) GetAssociatedPackageGroup(ctx context.Context, c Caller, ownerParam, domain, format, namespace, name string) (PackageGroupInfo, string, error) {
	if !model.ValidFormat(format) {
		return PackageGroupInfo{}, "", apperr.Validationf("format %q is not one of npm, pypi, maven, nuget, generic, ruby, swift, cargo", format)
	}
	if !packageNameRe.MatchString(name) {
		return PackageGroupInfo{}, "", apperr.Validationf("package %q must be 1-255 characters without '#', '/' or whitespace", name)
	}
	if namespace != "" && !packageNameRe.MatchString(namespace) {
		return PackageGroupInfo{}, "", apperr.Validationf("namespace %q must be 1-255 characters without '#', '/' or whitespace", namespace)
	}
	d, err := s.domain(ctx, c, ownerParam, domain, "codeartifact:GetAssociatedPackageGroup")
	if err != nil {
		return PackageGroupInfo{}, "", err
	}
	set, err := s.groupSet(ctx, d)
	if err != nil {
		return PackageGroupInfo{}, "", err
	}
	f := model.Format(format)
	ns := namespace
	switch f {
	case model.FormatNpm:
		ns = strings.TrimPrefix(ns, "@")
	case model.FormatSwift:
		ns, name = strings.ToLower(ns), strings.ToLower(name)
	}
	i, kind := set.Associated(f, ns, NormalizeName(f, name))
	if i < 0 {
		return PackageGroupInfo{}, "", groupNotFound(model.RootPackageGroup)
	}
	return set.info(i), kind, nil
}
