package pypi_test

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

// TestTwineUploadBlockedByPackageGroup: a package group with PUBLISH=BLOCK
// makes twine upload fail with wharf's reason printed; ALLOW_SPECIFIC_REPOSITORIES
// lets exactly the listed repository take the upload.
func TestTwineUploadBlockedByPackageGroup(t *testing.T) {
	need(t, "twine", "aws", "python3")
	srv := apptest.Start(t)
	ca := setup(t, srv, domain, []string{"repo-a", "repo-b"}, nil, nil)
	ctx := context.Background()
	for pattern, mode := range map[string]types.PackageGroupOriginRestrictionMode{
		"/pypi//frozen-lib$": types.PackageGroupOriginRestrictionModeBlock,
		"/pypi//team~":       types.PackageGroupOriginRestrictionModeAllowSpecificRepositories,
	} {
		if _, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern)}); err != nil {
			t.Fatal(err)
		}
		in := &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern),
			Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": mode}}
		if mode == types.PackageGroupOriginRestrictionModeAllowSpecificRepositories {
			in.AddAllowedRepositories = []types.PackageGroupAllowedRepository{{RepositoryName: aws.String("repo-b"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}}
		}
		if _, err := ca.UpdatePackageGroupOriginConfiguration(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, srv)
	work := t.TempDir()
	distDir := filepath.Join(work, "dist")
	if err := os.MkdirAll(distDir, 0o755); err != nil {
		t.Fatal(err)
	}
	frozen := dist{Name: "frozen-lib", Version: "1.0", Module: "frozen_lib", Value: "x"}.wheel(t, distDir)
	team := dist{Name: "team-tools", Version: "1.0", Module: "team_tools", Value: "y"}.wheel(t, distDir)
	upload := func(repo, file string) (string, error) {
		e.must(t, work, "aws", "codeartifact", "login", "--tool", "twine", "--domain", domain, "--repository", repo, "--endpoint-url", srv.URL)
		out, err := e.run(t, work, "twine", "upload", "--non-interactive", "--disable-progress-bar", "--repository", "codeartifact", file)
		return strings.Join(strings.Fields(out), " "), err // twine wraps long lines
	}
	if out, err := upload("repo-a", frozen); err == nil || !strings.Contains(out, "403") || !strings.Contains(out, "blocked by package group /pypi//frozen-lib$") {
		t.Fatalf("twine upload under PUBLISH=BLOCK: %v\n%s", err, out)
	}
	if out, err := upload("repo-a", team); err == nil || !strings.Contains(out, "not on its allowed list") {
		t.Fatalf("twine upload to a repository not on the allowed list: %v\n%s", err, out)
	}
	if out, err := upload("repo-b", team); err != nil {
		t.Fatalf("twine upload to the allowed repository: %v\n%s", err, out)
	}
}
