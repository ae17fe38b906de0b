package maven_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// run is mvn returning its output and error instead of failing the test.
func (b *build) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "mvn", append([]string{"-B", "-e", "-s", b.settings, "-Dmaven.repo.local=" + filepath.Join(b.dir, "m2")}, args...)...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), "MAVEN_OPTS=-Djava.net.preferIPv4Stack=true", "HOME="+b.dir)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMvnDeployBlockedByPackageGroup: a package group with PUBLISH=BLOCK
// makes mvn deploy fail with a 403 that says so; ALLOW_SPECIFIC_REPOSITORIES
// lets exactly the listed repository take the deploy.
func TestMvnDeployBlockedByPackageGroup(t *testing.T) {
	if _, err := exec.LookPath("mvn"); err != nil {
		t.Fatalf("mvn is not installed: %v", err)
	}
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"team-core", "other"} {
		if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(r)}); err != nil {
			t.Fatal(err)
		}
	}
	for pattern, mode := range map[string]types.PackageGroupOriginRestrictionMode{
		"/maven/" + group + "/frozen$": types.PackageGroupOriginRestrictionModeBlock,
		"/maven/" + group + "/*":       types.PackageGroupOriginRestrictionModeAllowSpecificRepositories,
	} {
		if _, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern)}); err != nil {
			t.Fatal(err)
		}
		in := &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(domain), PackageGroup: aws.String(pattern),
			Restrictions: map[string]types.PackageGroupOriginRestrictionMode{"PUBLISH": mode}}
		if mode == types.PackageGroupOriginRestrictionModeAllowSpecificRepositories {
			in.AddAllowedRepositories = []types.PackageGroupAllowedRepository{{RepositoryName: aws.String("team-core"), OriginRestrictionType: types.PackageGroupOriginRestrictionTypePublish}}
		}
		if _, err := ca.UpdatePackageGroupOriginConfiguration(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	tokOut, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(tokOut.AuthorizationToken)
	ep := func(repo string) string {
		out, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String(domain), Repository: aws.String(repo), Format: types.PackageFormatMaven})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.RepositoryEndpoint)
	}
	work := t.TempDir()
	jar := writeJar(t, work, "lib.jar", "lib")
	b := newBuild(t, work, "deployer", tok, ep("team-core"))
	deploy := func(artifact, repo string) (string, error) {
		return b.run(deployPlug, "-Dfile="+jar, "-DgroupId="+group, "-DartifactId="+artifact, "-Dversion=1.0",
			"-Dpackaging=jar", "-DgeneratePom=true", "-DrepositoryId=wharf-deploy", "-Durl="+ep(repo))
	}
	if out, err := deploy("frozen", "team-core"); err == nil || !strings.Contains(out, "403") || !strings.Contains(out, "blocked by package group /maven/"+group+"/frozen$") {
		t.Fatalf("mvn deploy under PUBLISH=BLOCK: %v\n%s", err, out)
	} else {
		t.Logf("mvn deploy under PUBLISH=BLOCK:\n%s", out)
	}
	if out, err := deploy("lib", "other"); err == nil || !strings.Contains(out, "not on its allowed list") {
		t.Fatalf("mvn deploy to a repository not on the allowed list: %v\n%s", err, out)
	}
	if out, err := deploy("lib", "team-core"); err != nil {
		t.Fatalf("mvn deploy to the allowed repository: %v\n%s", err, out)
	}
	// Nothing of the refused deploys was stored.
	for _, c := range []struct{ repo, artifact string }{{"team-core", "frozen"}, {"other", "lib"}} {
		_, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(c.repo),
			Format: types.PackageFormatMaven, Namespace: aws.String(group), Package: aws.String(c.artifact)})
		var nf *types.ResourceNotFoundException
		if !errorsAs(err, &nf) {
			t.Fatalf("%s:%s in %s after a refused deploy: %v", group, c.artifact, c.repo, err)
		}
	}
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }
