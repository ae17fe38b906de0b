package replicas

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// The memo of resolved files (packages.Engine.FetchFile: a tarball GET of a
// file the repository holds skips the chain walk and the version and asset
// lookups) never answers stale: every change that decides a tarball GET,
// made through `writer`, is seen by the very next GET at `reader`, whose memo
// holds the file beforehand. With one server both are the same process; with
// PostgreSQL they are two replicas.

func TestFileMemoFreshOneServer(t *testing.T) {
	srv := apptest.Start(t)
	checkFileMemo(t, srv, srv)
}

func TestFileMemoFreshAcrossReplicas(t *testing.T) {
	db := dsn(t)
	opts := apptest.Options{DataDir: t.TempDir(), Mutate: func(c *config.Config) { c.Database = db }}
	a, b := apptest.Start(t, opts), apptest.Start(t, opts)
	checkFileMemo(t, a, b)
}

func checkFileMemo(t *testing.T, writer, reader *apptest.Server) {
	ctx := context.Background()
	wa := writer.CodeArtifact()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dom := aws.String("memo")
	npmFmt := types.PackageFormatNpm
	must(wa.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: dom}))
	must(wa.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: dom, Repository: aws.String("js")}))
	must(wa.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: dom, Repository: aws.String("down"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("js")}}}))
	wtok := aws.ToString(mustTok(t)(wa.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: dom})).AuthorizationToken)
	rtok := aws.ToString(mustTok(t)(reader.CodeArtifact().GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: dom})).AuthorizationToken)
	base := "/memo-" + apptest.Account + "/npm/"

	tarballs := map[string][]byte{}
	publish := func(pkg, version string) {
		t.Helper()
		tb := tgz(t, pkg, version)
		tarballs[pkg+"@"+version] = tb
		if a := call(t, http.MethodPut, writer.URL+base+"js/"+pkg, wtok, publishBody(pkg, version, tb)); a.status != http.StatusOK {
			t.Fatalf("publish %s@%s: %d %s", pkg, version, a.status, a.body)
		}
	}
	// get asks the reader for a tarball twice in a row (the first answer
	// may resolve it, the second is served from the memo when it is held)
	// and wants both to be want, with the published bytes when 200.
	get := func(repo, pkg, version string, want int) {
		t.Helper()
		for i := range 2 {
			a := call(t, http.MethodGet, reader.URL+base+repo+"/"+pkg+"/-/"+pkg+"-"+version+".tgz", rtok, "")
			if a.status != want {
				t.Fatalf("GET %s %s@%s (%d of 2) at the reader: %d %s, want %d", repo, pkg, version, i+1, a.status, a.body, want)
			}
			if want == http.StatusOK && !bytes.Equal(a.body, tarballs[pkg+"@"+version]) {
				t.Fatalf("GET %s %s@%s: %d bytes, not the published tarball", repo, pkg, version, len(a.body))
			}
		}
	}
	status := func(repo, pkg, version string, s types.PackageVersionStatus) {
		t.Helper()
		must(wa.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: dom, Repository: aws.String(repo),
			Format: npmFmt, Package: aws.String(pkg), Versions: []string{version}, TargetStatus: s}))
	}
	del := func(repo, pkg, version string) {
		t.Helper()
		must(wa.DeletePackageVersions(ctx, &codeartifact.DeletePackageVersionsInput{Domain: dom, Repository: aws.String(repo),
			Format: npmFmt, Package: aws.String(pkg), Versions: []string{version}}))
	}
	upstreams := func(names ...string) {
		t.Helper()
		ups := []types.UpstreamRepository{}
		for _, n := range names {
			ups = append(ups, types.UpstreamRepository{RepositoryName: aws.String(n)})
		}
		must(wa.UpdateRepository(ctx, &codeartifact.UpdateRepositoryInput{Domain: dom, Repository: aws.String("down"), Upstreams: ups}))
	}
	origin := func(repo, pkg string, upstream types.AllowUpstream) {
		t.Helper()
		must(wa.PutPackageOriginConfiguration(ctx, &codeartifact.PutPackageOriginConfigurationInput{Domain: dom, Repository: aws.String(repo),
			Format: npmFmt, Package: aws.String(pkg),
			Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishAllow, Upstream: upstream}}))
	}

	// A new publish: a version that does not exist yet is a 404, then,
	// once published, a 200 with its bytes.
	get("js", "pkg", "1.0.0", http.StatusNotFound)
	publish("pkg", "1.0.0")
	get("js", "pkg", "1.0.0", http.StatusOK)
	if n, _ := reader.App.Engine.FileMemoStats(); n == 0 {
		t.Fatal("the reader memoized no file: these checks would not exercise the memo")
	}

	// Status changes: Unlisted stays downloadable (a lockfile may pin it);
	// Archived is not; Published again is; Disposed is gone for good.
	status("js", "pkg", "1.0.0", types.PackageVersionStatusUnlisted)
	get("js", "pkg", "1.0.0", http.StatusOK)
	status("js", "pkg", "1.0.0", types.PackageVersionStatusArchived)
	get("js", "pkg", "1.0.0", http.StatusNotFound)
	status("js", "pkg", "1.0.0", types.PackageVersionStatusPublished)
	get("js", "pkg", "1.0.0", http.StatusOK)
	must(wa.DisposePackageVersions(ctx, &codeartifact.DisposePackageVersionsInput{Domain: dom, Repository: aws.String("js"),
		Format: npmFmt, Package: aws.String("pkg"), Versions: []string{"1.0.0"}}))
	get("js", "pkg", "1.0.0", http.StatusNotFound)

	// DeletePackageVersions.
	publish("pkg", "2.0.0")
	get("js", "pkg", "2.0.0", http.StatusOK)
	del("js", "pkg", "2.0.0")
	get("js", "pkg", "2.0.0", http.StatusNotFound)

	// Files that came through an upstream repository: the first GET through
	// down finds them in js and retains them in down, which then holds (and
	// memoizes) them.
	publish("up", "1.0.0")
	publish("up", "2.0.0")
	get("down", "up", "1.0.0", http.StatusOK)
	get("down", "up", "2.0.0", http.StatusOK)
	// Its upstream removed, down still serves what it retained (as
	// CodeArtifact does); a version it no longer holds is then a 404 at
	// once, though js still has it.
	upstreams()
	get("down", "up", "2.0.0", http.StatusOK)
	del("down", "up", "2.0.0")
	get("down", "up", "2.0.0", http.StatusNotFound)
	// The upstream back: the next GET finds 2.0.0 in js again.
	upstreams("js")
	get("down", "up", "2.0.0", http.StatusOK)

	// The package's origin configuration in down blocks upstream versions:
	// what down holds is still served (the rules decide what enters it), a
	// version it no longer holds is not taken from js; allowed again, it is.
	origin("down", "up", types.AllowUpstreamBlock)
	get("down", "up", "2.0.0", http.StatusOK)
	del("down", "up", "2.0.0")
	get("down", "up", "2.0.0", http.StatusNotFound)
	origin("down", "up", types.AllowUpstreamAllow)
	get("down", "up", "2.0.0", http.StatusOK)

	// A status change of the retained copy in down decides down's answer,
	// whatever js holds.
	status("down", "up", "1.0.0", types.PackageVersionStatusArchived)
	get("down", "up", "1.0.0", http.StatusNotFound)
	get("js", "up", "1.0.0", http.StatusOK)
}
