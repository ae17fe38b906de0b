package npme2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// Dist-tags belong to their package: deleting the package or its repository
// takes them along, so a package published again does not inherit old tags.
func TestDistTagsLeaveWithPackageAndRepository(t *testing.T) {
	srv := apptest.Start(t)
	createDomain(t, srv, "acme")
	createRepo(t, srv, "acme", "repo-a")
	tok := token(t, srv, "acme")
	reg := endpoint(srv, "acme", "repo-a")
	const name = "@acme/widgets"
	tags := reg + "-/package/" + escapeName(name) + "/dist-tags"

	ls := func(what string) map[string]string {
		t.Helper()
		st, _, b := do(t, http.MethodGet, tags, tok, nil)
		if st != http.StatusOK {
			t.Fatalf("%s: dist-tag ls: %d %s", what, st, b)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: dist-tag ls: %v: %s", what, err, b)
		}
		return m
	}
	publishTagged := func(what string) {
		t.Helper()
		publishFixture(t, reg, tok, makeFixture(t, name, "1.0.0", nil))
		publishFixture(t, reg, tok, makeFixture(t, name, "2.0.0", nil))
		if st, _, b := do(t, http.MethodPut, tags+"/stable", tok, []byte(`"1.0.0"`)); st != http.StatusCreated {
			t.Fatalf("%s: dist-tag add: %d %s", what, st, b)
		}
		if got := ls(what); got["stable"] != "1.0.0" || got["latest"] != "2.0.0" {
			t.Fatalf("%s: dist-tags %v, want stable 1.0.0 and latest 2.0.0", what, got)
		}
	}
	republished := func(what string) {
		t.Helper()
		publishFixture(t, reg, tok, makeFixture(t, name, "1.0.0", nil))
		publishFixture(t, reg, tok, makeFixture(t, name, "2.0.0", nil))
		if got := ls(what); got["stable"] != "" || got["latest"] != "2.0.0" || len(got) != 1 {
			t.Fatalf("%s: dist-tags %v, want only latest 2.0.0", what, got)
		}
	}
	ctx := context.Background()
	ca := srv.CodeArtifact()

	publishTagged("first publish")
	if _, err := ca.DeletePackage(ctx, &codeartifact.DeletePackageInput{Domain: aws.String("acme"), Repository: aws.String("repo-a"),
		Format: types.PackageFormatNpm, Namespace: aws.String("acme"), Package: aws.String("widgets")}); err != nil {
		t.Fatalf("DeletePackage: %v", err)
	}
	republished("after DeletePackage")

	if st, _, b := do(t, http.MethodPut, tags+"/stable", tok, []byte(`"1.0.0"`)); st != http.StatusCreated {
		t.Fatalf("dist-tag add: %d %s", st, b)
	}
	if _, err := ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("repo-a")}); err != nil {
		t.Fatalf("DeleteRepository: %v", err)
	}
	createRepo(t, srv, "acme", "repo-a")
	republished("after DeleteRepository")
}
