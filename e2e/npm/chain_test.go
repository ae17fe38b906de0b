package npme2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
)

// TestPublishAndInstallThroughUpstream publishes a scoped and an unscoped
// package to repository A with the configuration `aws codeartifact login`
// wrote, installs both from repository B (upstream A), and checks B retained
// the versions it served.
func TestPublishAndInstallThroughUpstream(t *testing.T) {
	needTools(t)
	srv := apptest.Start(t)
	createDomain(t, srv, "acme")
	createRepo(t, srv, "acme", "repo-a")
	createRepo(t, srv, "acme", "repo-b", "repo-a")

	pub := login(t, srv, "acme", "repo-a")
	pub.mustNpm(writePackage(t, "@acme/widgets", "1.0.0", nil), "publish")
	pub.mustNpm(writePackage(t, "@acme/widgets", "1.1.0-beta.1", nil), "publish", "--tag", "beta")
	pub.mustNpm(writePackage(t, "plainpkg", "2.3.4", map[string]any{"dependencies": map[string]string{"@acme/widgets": "^1.0.0"}}), "publish")

	// npm view and dist-tags through A.
	view := pub.mustNpm(t.TempDir(), "view", "@acme/widgets", "dist-tags", "--json")
	if !strings.Contains(view, `"latest": "1.0.0"`) || !strings.Contains(view, `"beta": "1.1.0-beta.1"`) {
		t.Fatalf("npm view dist-tags: %s", view)
	}
	pub.mustNpm(t.TempDir(), "dist-tag", "add", "@acme/widgets@1.0.0", "stable")
	ls := pub.mustNpm(t.TempDir(), "dist-tag", "ls", "@acme/widgets")
	if !strings.Contains(ls, "stable: 1.0.0") || !strings.Contains(ls, "beta: 1.1.0-beta.1") {
		t.Fatalf("npm dist-tag ls after add: %s", ls)
	}
	pub.mustNpm(t.TempDir(), "dist-tag", "rm", "@acme/widgets", "stable")
	if ls := pub.mustNpm(t.TempDir(), "dist-tag", "ls", "@acme/widgets"); strings.Contains(ls, "stable") {
		t.Fatalf("stable tag survived rm: %s", ls)
	}
	if who := pub.mustNpm(t.TempDir(), "whoami"); !strings.Contains(who, "arn:aws:iam::"+owner) {
		t.Fatalf("npm whoami: %s", who)
	}
	pub.mustNpm(t.TempDir(), "ping")

	// Install both from B, through its upstream A.
	cons := login(t, srv, "acme", "repo-b")
	dir := project(t, map[string]string{"plainpkg": "2.3.4", "@acme/widgets": "*"})
	cons.mustNpm(dir, "install")
	if v := installedVersion(t, dir, "plainpkg"); v != "2.3.4" {
		t.Fatalf("plainpkg installed %s", v)
	}
	if v := installedVersion(t, dir, "@acme/widgets"); v != "1.0.0" {
		t.Fatalf("@acme/widgets installed %s, want the latest tag 1.0.0", v)
	}

	// B now holds what it served (a metadata row pointing at the same blob);
	// A keeps its own; the prerelease nobody installed stays only in A.
	st := srv.App.Engine.Store
	ctx := context.Background()
	repoB, err := st.GetRepository(ctx, owner, "acme", "repo-b")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ns, name, version string }{{"acme", "widgets", "1.0.0"}, {"", "plainpkg", "2.3.4"}} {
		v, err := st.GetVersion(ctx, packages.Key(repoB, model.FormatNpm, c.ns, c.name), c.version)
		if err != nil {
			t.Fatalf("repo-b did not retain %s/%s@%s: %v", c.ns, c.name, c.version, err)
		}
		if v.Origin.Type != model.OriginInternal || v.Origin.Repository != "repo-a" {
			t.Fatalf("retained %s origin = %+v, want INTERNAL from repo-a", c.name, v.Origin)
		}
	}
	// The same, as the control plane reports it.
	lv, err := srv.CodeArtifact().ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: aws.String("acme"), Repository: aws.String("repo-b"),
		Format: types.PackageFormatNpm, Namespace: aws.String("acme"), Package: aws.String("widgets")})
	if err != nil {
		t.Fatalf("ListPackageVersions repo-b: %v", err)
	}
	if len(lv.Versions) != 1 || aws.ToString(lv.Versions[0].Version) != "1.0.0" || lv.Versions[0].Origin == nil || lv.Versions[0].Origin.OriginType != types.PackageVersionOriginTypeInternal {
		t.Fatalf("ListPackageVersions repo-b: %+v", lv.Versions)
	}
	if _, err := st.GetVersion(ctx, packages.Key(repoB, model.FormatNpm, "acme", "widgets"), "1.1.0-beta.1"); err == nil {
		t.Fatalf("repo-b retained a version nobody fetched through it")
	}

	// Republishing an existing version is refused and changes nothing. npm
	// itself refuses after reading the packument; the server's own answer to
	// the PUT is 409.
	regA := endpoint(srv, "acme", "repo-a")
	tokA := token(t, srv, "acme")
	_, _, before := do(t, http.MethodGet, regA+"plainpkg/-/plainpkg-2.3.4.tgz", tokA, nil)
	if out, err := pub.npm(writePackage(t, "plainpkg", "2.3.4", map[string]any{"description": "changed"}), "publish"); err == nil {
		t.Fatalf("npm republished plainpkg@2.3.4:\n%s", out)
	}
	st409, _, body := do(t, http.MethodPut, regA+"plainpkg", tokA, makeFixture(t, "plainpkg", "2.3.4", nil).publishBody(regA))
	if st409 != http.StatusConflict || !strings.Contains(string(body), `"error"`) {
		t.Fatalf("PUT of an existing version: %d %s", st409, body)
	}
	_, _, after := do(t, http.MethodGet, regA+"plainpkg/-/plainpkg-2.3.4.tgz", tokA, nil)
	if string(before) != string(after) || len(after) == 0 {
		t.Fatalf("republish changed the stored tarball")
	}
	if view := pub.mustNpm(t.TempDir(), "view", "plainpkg@2.3.4", "description"); strings.Contains(view, "changed") {
		t.Fatalf("republish changed the stored version: %s", view)
	}

	// ping needs no token; Basic with the token as password works like Bearer.
	if st, _, body := do(t, http.MethodGet, regA+"-/ping?write=true", "", nil); st != http.StatusOK {
		t.Fatalf("anonymous ping: %d %s", st, body)
	}
	if st, _, body := do(t, http.MethodGet, regA+"plainpkg", "", nil, "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("aws:"+tokA))); st != http.StatusOK || !strings.Contains(string(body), `"2.3.4"`) {
		t.Fatalf("Basic auth packument: %d %.200s", st, body)
	}

	// No token, a bad token: 401 with a Bearer challenge and an npm-style body.
	for _, tok := range []string{"", "not-a-token"} {
		st, h, body := do(t, http.MethodGet, endpoint(srv, "acme", "repo-a")+"plainpkg", tok, nil)
		if st != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), `Bearer realm="wharf"`) || !strings.Contains(string(body), `"error"`) {
			t.Fatalf("token %q: %d %q %s", tok, st, h.Get("WWW-Authenticate"), body)
		}
	}
}
