package app_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestPackageGroups drives the package-group operations through the SDK:
// hierarchy, listing, origin configuration, associations, tags and deletion.
func TestPackageGroups(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("pg")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	for _, r := range []string{"app", "ci"} {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}

	// The root group exists in every domain, allowing everything.
	root := must(ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/*")})).PackageGroup
	if aws.ToString(root.Pattern) != "/*" || root.Parent != nil || aws.ToString(root.Arn) != "arn:aws:codeartifact:"+apptest.Region+":"+aws.ToString(root.DomainOwner)+":package-group/pg/*" {
		t.Fatalf("root group %+v", root)
	}
	for _, rt := range []types.PackageGroupOriginRestrictionType{types.PackageGroupOriginRestrictionTypePublish, types.PackageGroupOriginRestrictionTypeExternalUpstream, types.PackageGroupOriginRestrictionTypeInternalUpstream} {
		r := root.OriginConfiguration.Restrictions[string(rt)]
		if r.Mode != types.PackageGroupOriginRestrictionModeAllow || r.EffectiveMode != types.PackageGroupOriginRestrictionModeAllow {
			t.Fatalf("root restriction %s: %+v", rt, r)
		}
	}
	_, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String("/*")})
	wantErr[*types.ConflictException](t, err)

	// Nested groups, created out of order: parents are the most specific container.
	create := func(p string) *types.PackageGroupDescription {
		t.Helper()
		return must(ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String(p),
			ContactInfo: aws.String("ops@example.com"), Description: aws.String("group " + p),
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}})).PackageGroup
	}
	ui := create("/generic/tools/ui~")
	if aws.ToString(ui.Parent.Pattern) != "/*" {
		t.Fatalf("parent before /generic/* exists: %+v", ui.Parent)
	}
	create("/generic/*")
	tools := create("/generic/tools/*")
	if aws.ToString(tools.Parent.Pattern) != "/generic/*" || aws.ToString(tools.ContactInfo) != "ops@example.com" {
		t.Fatalf("/generic/tools/* %+v", tools)
	}
	create("/generic/tools/ui-kit$")
	create("/npm/*")
	_, err = ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/*")})
	wantErr[*types.ConflictException](t, err)
	for _, bad := range []string{"npm/*", "/npm/*/x", "/bogus/*", "/pypi/ns/requests$", "/maven//core$", "/npm/a*b/*"} {
		_, err = ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String(bad)})
		wantErr[*types.ValidationException](t, err)
	}
	_, err = ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/maven/*")})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: aws.String("nope"), PackageGroup: aws.String("/*")})
	wantErr[*types.ResourceNotFoundException](t, err)

	uiDesc := must(ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/ui~")})).PackageGroup
	if aws.ToString(uiDesc.Parent.Pattern) != "/generic/tools/*" {
		t.Fatalf("parent after /generic/tools/* exists: %+v", uiDesc.Parent)
	}

	// Listing: all groups by pattern, paged, with a prefix filter.
	var all []string
	var token *string
	for pages := 0; ; pages++ {
		out := must(ca.ListPackageGroups(ctx, &codeartifact.ListPackageGroupsInput{Domain: d, MaxResults: aws.Int32(2), NextToken: token}))
		for _, g := range out.PackageGroups {
			all = append(all, aws.ToString(g.Pattern))
		}
		if token = out.NextToken; token == nil {
			break
		}
		if pages > 5 {
			t.Fatal("ListPackageGroups does not end")
		}
	}
	want := []string{"/*", "/generic/*", "/generic/tools/*", "/generic/tools/ui-kit$", "/generic/tools/ui~", "/npm/*"}
	if !equalStrings(all, want) {
		t.Fatalf("ListPackageGroups = %v, want %v", all, want)
	}
	pref := must(ca.ListPackageGroups(ctx, &codeartifact.ListPackageGroupsInput{Domain: d, Prefix: aws.String("/generic/tools/")}))
	if len(pref.PackageGroups) != 3 {
		t.Fatalf("prefix listing %+v", pref.PackageGroups)
	}
	subs := must(ca.ListSubPackageGroups(ctx, &codeartifact.ListSubPackageGroupsInput{Domain: d, PackageGroup: aws.String("/*")}))
	if got := patterns(subs.PackageGroups); !equalStrings(got, []string{"/generic/*", "/npm/*"}) {
		t.Fatalf("sub-groups of /* = %v", got)
	}
	subs = must(ca.ListSubPackageGroups(ctx, &codeartifact.ListSubPackageGroupsInput{Domain: d, PackageGroup: aws.String("/generic/tools/*")}))
	if got := patterns(subs.PackageGroups); !equalStrings(got, []string{"/generic/tools/ui~"}) {
		t.Fatalf("sub-groups of /generic/tools/* = %v", got)
	}

	// Update: contact info and description only.
	upd := must(ca.UpdatePackageGroup(ctx, &codeartifact.UpdatePackageGroupInput{Domain: d, PackageGroup: aws.String("/npm/*"), Description: aws.String("npm things")})).PackageGroup
	if aws.ToString(upd.Description) != "npm things" || aws.ToString(upd.ContactInfo) != "ops@example.com" {
		t.Fatalf("UpdatePackageGroup %+v", upd)
	}
	_, err = ca.UpdatePackageGroup(ctx, &codeartifact.UpdatePackageGroupInput{Domain: d, PackageGroup: aws.String("/cargo/*")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Origin configuration: set on /generic/*, inherited below it.
	oc := must(ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{
		Domain: d, PackageGroup: aws.String("/generic/*"),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{
			"PUBLISH": types.PackageGroupOriginRestrictionModeAllowSpecificRepositories, "EXTERNAL_UPSTREAM": types.PackageGroupOriginRestrictionModeBlock},
		AddAllowedRepositories: []types.PackageGroupAllowedRepository{
			{RepositoryName: aws.String("ci"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish},
			{RepositoryName: aws.String("app"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}},
	}))
	if got := oc.AllowedRepositoryUpdates["PUBLISH"]["ADDED"]; !equalStrings(got, []string{"ci", "app"}) {
		t.Fatalf("allowedRepositoryUpdates %+v", oc.AllowedRepositoryUpdates)
	}
	pub := oc.PackageGroup.OriginConfiguration.Restrictions["PUBLISH"]
	if pub.Mode != types.PackageGroupOriginRestrictionModeAllowSpecificRepositories || aws.ToInt64(pub.RepositoriesCount) != 2 {
		t.Fatalf("PUBLISH restriction %+v", pub)
	}
	child := must(ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/*")})).PackageGroup
	ext := child.OriginConfiguration.Restrictions["EXTERNAL_UPSTREAM"]
	if ext.Mode != types.PackageGroupOriginRestrictionModeInherit || ext.EffectiveMode != types.PackageGroupOriginRestrictionModeBlock ||
		ext.InheritedFrom == nil || aws.ToString(ext.InheritedFrom.Pattern) != "/generic/*" {
		t.Fatalf("inherited restriction %+v", ext)
	}
	if in := child.OriginConfiguration.Restrictions["INTERNAL_UPSTREAM"]; in.EffectiveMode != types.PackageGroupOriginRestrictionModeAllow || aws.ToString(in.InheritedFrom.Pattern) != "/*" {
		t.Fatalf("restriction inherited from the root %+v", in)
	}
	_, err = ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: d, PackageGroup: aws.String("/generic/*"),
		AddAllowedRepositories: []types.PackageGroupAllowedRepository{{RepositoryName: aws.String("ghost"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}}})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: d, PackageGroup: aws.String("/*"),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": types.PackageGroupOriginRestrictionModeInherit}})
	wantErr[*types.ValidationException](t, err)
	// The root can be changed (it is stored on first change).
	rootOC := must(ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: d, PackageGroup: aws.String("/*"),
		Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"INTERNAL_UPSTREAM": types.PackageGroupOriginRestrictionModeBlock}})).PackageGroup
	if rootOC.OriginConfiguration.Restrictions["INTERNAL_UPSTREAM"].Mode != types.PackageGroupOriginRestrictionModeBlock {
		t.Fatalf("root after update %+v", rootOC.OriginConfiguration)
	}

	// Allowed repositories, paged; then one removed.
	var allowed []string
	token = nil
	for {
		out := must(ca.ListAllowedRepositoriesForGroup(ctx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: d, PackageGroup: aws.String("/generic/*"),
			OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish, MaxResults: aws.Int32(1), NextToken: token}))
		allowed = append(allowed, out.AllowedRepositories...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	if !equalStrings(allowed, []string{"app", "ci"}) {
		t.Fatalf("allowed repositories %v", allowed)
	}
	must(ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: d, PackageGroup: aws.String("/generic/*"),
		RemoveAllowedRepositories: []types.PackageGroupAllowedRepository{{RepositoryName: aws.String("app"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}}}))
	left := must(ca.ListAllowedRepositoriesForGroup(ctx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: d, PackageGroup: aws.String("/generic/*"),
		OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}))
	if !equalStrings(left.AllowedRepositories, []string{"ci"}) {
		t.Fatalf("after remove %v", left.AllowedRepositories)
	}

	// The restriction is enforced: /generic/* now allows publishing to ci only
	// (its children inherit that), so app is refused and nothing is stored.
	body := []byte("payload")
	_, err = ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: aws.String("app"), Format: types.PackageFormatGeneric,
		Namespace: aws.String("tools"), Package: aws.String("ui"), PackageVersion: aws.String("1.0.0"), AssetName: aws.String("a.bin"),
		AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))})
	var denied *types.AccessDeniedException
	if !errors.As(err, &denied) || !strings.Contains(err.Error(), "/generic/tools/ui~") {
		t.Fatalf("publish to app under PUBLISH=ALLOW_SPECIFIC_REPOSITORIES [ci]: %v, want AccessDeniedException naming the group", err)
	}

	// Associations: publish generic packages, then ask which group has them.
	for _, p := range [][2]string{{"tools", "ui"}, {"tools", "ui-kit"}, {"tools", "uix"}, {"other", "thing"}} {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: aws.String("ci"), Format: types.PackageFormatGeneric,
			Namespace: aws.String(p[0]), Package: aws.String(p[1]), PackageVersion: aws.String("1.0.0"), AssetName: aws.String("a.bin"),
			AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}
	// A copy into app is decided by the same rule: each version NOT_ALLOWED.
	cp := must(ca.CopyPackageVersions(ctx, &codeartifact.CopyPackageVersionsInput{Domain: d, SourceRepository: aws.String("ci"), DestinationRepository: aws.String("app"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("tools"), Package: aws.String("ui"), Versions: []string{"1.0.0"}}))
	if f, ok := cp.FailedVersions["1.0.0"]; !ok || f.ErrorCode != types.PackageVersionErrorCodeNotAllowed || len(cp.SuccessfulVersions) != 0 {
		t.Fatalf("copy into a repository the group does not allow: %+v", cp)
	}
	assoc := func(ns, name string) (string, types.PackageGroupAssociationType) {
		t.Helper()
		out := must(ca.GetAssociatedPackageGroup(ctx, &codeartifact.GetAssociatedPackageGroupInput{Domain: d, Format: types.PackageFormatGeneric,
			Namespace: aws.String(ns), Package: aws.String(name)}))
		return aws.ToString(out.PackageGroup.Pattern), out.AssociationType
	}
	for _, c := range []struct{ ns, name, want string }{
		{"tools", "ui-kit", "/generic/tools/ui-kit$"}, // exact beats prefix
		{"tools", "ui", "/generic/tools/ui~"},
		{"tools", "ui-core", "/generic/tools/ui~"}, // need not exist
		{"tools", "uix", "/generic/tools/*"},       // prefixes match at word boundaries
		{"other", "thing", "/generic/*"},
	} {
		if got, kind := assoc(c.ns, c.name); got != c.want || kind != types.PackageGroupAssociationTypeStrong {
			t.Errorf("GetAssociatedPackageGroup(%s/%s) = %s %s, want %s STRONG", c.ns, c.name, got, kind, c.want)
		}
	}
	if got, kind := assoc("tools", "UI-Kit"); got != "/generic/tools/ui-kit$" || kind != types.PackageGroupAssociationTypeWeak {
		t.Errorf("case variant: %s %s, want /generic/tools/ui-kit$ WEAK", got, kind)
	}
	npm := must(ca.GetAssociatedPackageGroup(ctx, &codeartifact.GetAssociatedPackageGroupInput{Domain: d, Format: types.PackageFormatPypi, Package: aws.String("requests")}))
	if aws.ToString(npm.PackageGroup.Pattern) != "/*" {
		t.Errorf("pypi package group %s, want /*", aws.ToString(npm.PackageGroup.Pattern))
	}

	listAssoc := func(p string, preview bool) []string {
		t.Helper()
		var out []string
		var token *string
		for {
			res := must(ca.ListAssociatedPackages(ctx, &codeartifact.ListAssociatedPackagesInput{Domain: d, PackageGroup: aws.String(p), Preview: aws.Bool(preview), MaxResults: aws.Int32(1), NextToken: token}))
			for _, a := range res.Packages {
				out = append(out, aws.ToString(a.Namespace)+"/"+aws.ToString(a.Package))
			}
			if token = res.NextToken; token == nil {
				return out
			}
		}
	}
	if got := listAssoc("/generic/tools/*", false); !equalStrings(got, []string{"tools/uix"}) {
		t.Errorf("ListAssociatedPackages /generic/tools/* = %v", got)
	}
	if got := listAssoc("/generic/tools/ui~", false); !equalStrings(got, []string{"tools/ui"}) {
		t.Errorf("ListAssociatedPackages /generic/tools/ui~ = %v", got)
	}
	if got := listAssoc("/generic/other/*", true); !equalStrings(got, []string{"other/thing"}) {
		t.Errorf("preview of /generic/other/* = %v", got)
	}
	_, err = ca.ListAssociatedPackages(ctx, &codeartifact.ListAssociatedPackagesInput{Domain: d, PackageGroup: aws.String("/generic/other/*")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Tags: given at creation, managed through the group's ARN.
	arn := tools.Arn
	tags := must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: arn})).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
		t.Fatalf("group tags %+v", tags)
	}
	must(ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: arn, Tags: []types.Tag{{Key: aws.String("tier"), Value: aws.String("1")}}}))
	if tags = must(ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: arn})).Tags; len(tags) != 2 {
		t.Fatalf("tags after TagResource %+v", tags)
	}
	must(ca.TagResource(ctx, &codeartifact.TagResourceInput{ResourceArn: root.Arn, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))
	_, err = ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:codeartifact:" + apptest.Region + ":" + aws.ToString(root.DomainOwner) + ":package-group/pg/maven/*")})
	wantErr[*types.ResourceNotFoundException](t, err)

	// Delete: the root is refused; a group with children goes, its children
	// move up to its parent.
	_, err = ca.DeletePackageGroup(ctx, &codeartifact.DeletePackageGroupInput{Domain: d, PackageGroup: aws.String("/*")})
	wantErr[*types.ValidationException](t, err)
	del := must(ca.DeletePackageGroup(ctx, &codeartifact.DeletePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/*")})).PackageGroup
	if aws.ToString(del.Pattern) != "/generic/tools/*" {
		t.Fatalf("DeletePackageGroup %+v", del)
	}
	uiDesc = must(ca.DescribePackageGroup(ctx, &codeartifact.DescribePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/ui~")})).PackageGroup
	if aws.ToString(uiDesc.Parent.Pattern) != "/generic/*" {
		t.Fatalf("re-parented child %+v", uiDesc.Parent)
	}
	_, err = ca.ListTagsForResource(ctx, &codeartifact.ListTagsForResourceInput{ResourceArn: arn})
	wantErr[*types.ResourceNotFoundException](t, err)
	_, err = ca.DeletePackageGroup(ctx, &codeartifact.DeletePackageGroupInput{Domain: d, PackageGroup: aws.String("/generic/tools/*")})
	wantErr[*types.ResourceNotFoundException](t, err)
	if got, _ := assoc("tools", "uix"); got != "/generic/*" {
		t.Errorf("after delete, tools/uix is in %s, want /generic/*", got)
	}
}

func patterns(gs []types.PackageGroupSummary) []string {
	var out []string
	for _, g := range gs {
		out = append(out, aws.ToString(g.Pattern))
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
