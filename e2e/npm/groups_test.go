package npme2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// groupRule creates a package group with the given restrictions and allowed
// repositories, as a platform team would with the SDK.
func groupRule(t *testing.T, srv *apptest.Server, pattern string, modes map[string]types.PackageGroupOriginRestrictionMode, allow map[types.PackageGroupOriginRestrictionType][]string) {
	t.Helper()
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String("corp"), PackageGroup: aws.String(pattern)}); err != nil {
		t.Fatalf("CreatePackageGroup %s: %v", pattern, err)
	}
	in := &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String("corp"), PackageGroup: aws.String(pattern), Restrictions: modes}
	for typ, repos := range allow {
		for _, r := range repos {
			in.AddAllowedRepositories = append(in.AddAllowedRepositories, types.PackageGroupAllowedRepository{RepositoryName: aws.String(r), OriginRestrictionType: typ})
		}
	}
	if _, err := ca.UpdatePackageGroupOriginConfiguration(ctx, in); err != nil {
		t.Fatalf("UpdatePackageGroupOriginConfiguration %s: %v", pattern, err)
	}
}

// TestPackageGroupsEnforcedForNpm: the dependency-confusion defences a
// platform team sets up with package groups, driven with the real npm.
func TestPackageGroupsEnforcedForNpm(t *testing.T) {
	needTools(t)
	up := startFakePublic(t)
	up.publish(t, makeFixture(t, "ext-grp", "1.0.0", nil), makeFixture(t, "shared-name", "1.0.0", nil))
	srv := corp(t, up, nil)
	createRepo(t, srv, "corp", "ci", "npm-store")
	block := types.PackageGroupOriginRestrictionModeBlock
	groupRule(t, srv, "/npm//ext-grp$", map[string]types.PackageGroupOriginRestrictionMode{"EXTERNAL_UPSTREAM": block}, nil)
	groupRule(t, srv, "/npm/frozen/*", map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": block}, nil)
	groupRule(t, srv, "/npm/team/*", map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": types.PackageGroupOriginRestrictionModeAllowSpecificRepositories},
		map[types.PackageGroupOriginRestrictionType][]string{types.PackageGroupOriginRestrictionTypePublish: {"ci"}})
	app := login(t, srv, "corp", "app")

	// EXTERNAL_UPSTREAM=BLOCK: npm install does not get the public package,
	// and wharf does not even ask the public registry for it.
	dir := project(t, map[string]string{"ext-grp": "1.0.0"})
	if out, err := app.npm(dir, "install"); err == nil {
		t.Fatalf("npm install of a package whose group blocks external upstreams succeeded:\n%s", out)
	}
	if c := up.count("ext-grp"); c != 0 {
		t.Fatalf("the public registry was asked for ext-grp %d times", c)
	}
	// ...and a private publish of the same name and version goes through and is what installs.
	app.mustNpm(writePackage(t, "ext-grp", "1.0.0", nil), "publish")
	app.clearCache()
	dir = project(t, map[string]string{"ext-grp": "1.0.0"})
	app.mustNpm(dir, "install")
	pj, err := os.ReadFile(filepath.Join(dir, "node_modules", "ext-grp", "package.json"))
	if err != nil || !strings.Contains(string(pj), "wharf test package ext-grp") {
		t.Fatalf("installed ext-grp is not the private one: %v\n%s", err, pj)
	}

	// PUBLISH=BLOCK: npm publish fails and npm prints why.
	out, err := app.npm(writePackage(t, "@frozen/pkg", "1.0.0", nil), "publish")
	if err == nil || !strings.Contains(out, "403") || !strings.Contains(out, "blocked by package group /npm/frozen/*") {
		t.Fatalf("npm publish under PUBLISH=BLOCK: %v\n%s", err, out)
	}

	// ALLOW_SPECIFIC_REPOSITORIES [ci]: app is refused, ci publishes.
	out, err = app.npm(writePackage(t, "@team/lib", "1.0.0", nil), "publish")
	if err == nil || !strings.Contains(out, "not on its allowed list") {
		t.Fatalf("npm publish to a repository not on the allowed list: %v\n%s", err, out)
	}
	ci := login(t, srv, "corp", "ci")
	ci.mustNpm(writePackage(t, "@team/lib", "1.0.0", nil), "publish")

	// A version the public registry has (never fetched through wharf) cannot
	// be published to shadow it. npm sees it in the packument wharf serves and
	// refuses before sending (wharf would answer 409: see the engine's
	// TestShadowingThroughExternalConnection); nothing is stored either way.
	out, err = app.npm(writePackage(t, "shared-name", "1.0.0", nil), "publish")
	if err == nil || !(strings.Contains(out, "409") || strings.Contains(out, "cannot publish over the previously published versions: 1.0.0")) {
		t.Fatalf("npm publish of a version the upstream registry has: %v\n%s", err, out)
	}
	vs, verr := srv.CodeArtifact().ListPackageVersions(context.Background(), &codeartifact.ListPackageVersionsInput{Domain: aws.String("corp"),
		Repository: aws.String("app"), Format: types.PackageFormatNpm, Package: aws.String("shared-name")})
	if verr == nil && len(vs.Versions) > 0 {
		t.Fatalf("app holds shared-name versions after a refused publish: %+v", vs.Versions)
	}
	// A version it does not have can be published.
	app.mustNpm(writePackage(t, "shared-name", "2.0.0", nil), "publish")
}
