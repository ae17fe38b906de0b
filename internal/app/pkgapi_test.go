package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestListPackagesNamespaceIsAPrefix: ListPackages' namespace keeps the
// packages whose namespace starts with it, as the model documents.
func TestListPackagesNamespaceIsAPrefix(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d, r := aws.String("nsp"), aws.String("files")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: r}))
	body := []byte("x")
	for _, ns := range []string{"tools", "toolkit", "other", "Tools"} {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: r, Format: types.PackageFormatGeneric,
			Namespace: aws.String(ns), Package: aws.String("p"), PackageVersion: aws.String("1"), AssetName: aws.String("a"),
			AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}
	list := func(ns string) []string {
		t.Helper()
		var out []string
		pg := codeartifact.NewListPackagesPaginator(ca, &codeartifact.ListPackagesInput{Domain: d, Repository: r, Namespace: aws.String(ns), MaxResults: aws.Int32(1)})
		for pg.HasMorePages() {
			for _, p := range must(pg.NextPage(ctx)).Packages {
				out = append(out, aws.ToString(p.Namespace))
			}
		}
		return out
	}
	if got := list("tool"); !reflect.DeepEqual(got, []string{"toolkit", "tools"}) {
		t.Errorf("namespace tool = %v; want [toolkit tools]", got)
	}
	if got := list("tools"); !reflect.DeepEqual(got, []string{"tools"}) {
		t.Errorf("namespace tools = %v; want [tools]", got)
	}
	if got := list("x"); got != nil {
		t.Errorf("namespace x = %v; want none", got)
	}
}

// TestForgedNextTokensRefused: every list built in memory refuses a
// nextToken it did not give, or gave for another list, with the
// ValidationException the store-paged lists answer; its own tokens walk.
func TestForgedNextTokensRefused(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("tok")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	for _, r := range []string{"ra", "rb", "rc"} {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}
	for _, g := range []string{"/generic/*", "/generic/a/*", "/generic/b/*", "/generic/c/*"} {
		must(ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: d, PackageGroup: aws.String(g)}))
	}
	pub := types.PackageGroupOriginRestrictionTypePublish
	must(ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: d,
		PackageGroup: aws.String("/generic/*"), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{string(pub): types.PackageGroupOriginRestrictionModeAllowSpecificRepositories},
		AddAllowedRepositories: []types.PackageGroupAllowedRepository{
			{RepositoryName: aws.String("ra"), OriginRestrictionType: pub}, {RepositoryName: aws.String("rb"), OriginRestrictionType: pub}}}))
	body := []byte("x")
	for _, p := range []string{"p1", "p2", "p3"} {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: aws.String("ra"), Format: types.PackageFormatGeneric,
			Namespace: aws.String("z"), Package: aws.String(p), PackageVersion: aws.String("1"), AssetName: aws.String("a"),
			AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}

	// Each list, called with a token; walk collects every page from none.
	type lister func(token *string) (next *string, n int, err error)
	lists := map[string]lister{
		"ListPackageGroups": func(tok *string) (*string, int, error) {
			o, err := ca.ListPackageGroups(ctx, &codeartifact.ListPackageGroupsInput{Domain: d, MaxResults: aws.Int32(1), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.PackageGroups), nil
		},
		"ListSubPackageGroups": func(tok *string) (*string, int, error) {
			o, err := ca.ListSubPackageGroups(ctx, &codeartifact.ListSubPackageGroupsInput{Domain: d, PackageGroup: aws.String("/generic/*"), MaxResults: aws.Int32(1), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.PackageGroups), nil
		},
		"ListAllowedRepositoriesForGroup": func(tok *string) (*string, int, error) {
			o, err := ca.ListAllowedRepositoriesForGroup(ctx, &codeartifact.ListAllowedRepositoriesForGroupInput{Domain: d, PackageGroup: aws.String("/generic/*"),
				OriginRestrictionType: pub, MaxResults: aws.Int32(1), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.AllowedRepositories), nil
		},
		"ListAssociatedPackages": func(tok *string) (*string, int, error) {
			o, err := ca.ListAssociatedPackages(ctx, &codeartifact.ListAssociatedPackagesInput{Domain: d, PackageGroup: aws.String("/generic/*"), MaxResults: aws.Int32(1), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.Packages), nil
		},
		"ListPackageVersionDependencies": func(tok *string) (*string, int, error) {
			o, err := ca.ListPackageVersionDependencies(ctx, &codeartifact.ListPackageVersionDependenciesInput{Domain: d, Repository: aws.String("ra"),
				Format: types.PackageFormatGeneric, Namespace: aws.String("z"), Package: aws.String("p1"), PackageVersion: aws.String("1"), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.Dependencies), nil
		},
		"ListPackageVersionAssets": func(tok *string) (*string, int, error) {
			o, err := ca.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: d, Repository: aws.String("ra"),
				Format: types.PackageFormatGeneric, Namespace: aws.String("z"), Package: aws.String("p1"), PackageVersion: aws.String("1"), MaxResults: aws.Int32(1), NextToken: tok})
			if err != nil {
				return nil, 0, err
			}
			return o.NextToken, len(o.Assets), nil
		},
	}
	want := map[string]int{"ListPackageGroups": 5, "ListSubPackageGroups": 3, "ListAllowedRepositoriesForGroup": 2,
		"ListAssociatedPackages": 3, "ListPackageVersionDependencies": 0, "ListPackageVersionAssets": 1}
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	var groupsToken string
	for name, list := range lists {
		total, pages := 0, 0
		var tok *string
		for {
			next, n, err := list(tok)
			if err != nil {
				t.Fatalf("%s page %d: %v", name, pages, err)
			}
			total, pages = total+n, pages+1
			if name == "ListPackageGroups" && pages == 1 {
				groupsToken = aws.ToString(next)
			}
			if next == nil {
				break
			}
			tok = next
		}
		if total != want[name] {
			t.Errorf("%s walked %d items in %d pages; want %d", name, total, pages, want[name])
		}
	}
	for name, list := range lists {
		forged := []string{"not-a-token", b64("/generic/a/*"), b64("ra"), b64("1"), b64(`["package-groups","/generic/a/*"`)}
		if name != "ListPackageGroups" {
			forged = append(forged, groupsToken) // another list's token
		}
		for _, tok := range forged {
			_, _, err := list(aws.String(tok))
			if err == nil {
				t.Errorf("%s accepted the token %q", name, tok)
				continue
			}
			e := wantErr[*types.ValidationException](t, err)
			if !strings.Contains(aws.ToString(e.Message), "nextToken is not a token returned by a previous call") {
				t.Errorf("%s with %q: %v", name, tok, e)
			}
		}
	}
}

// TestCopyPackageVersionsCopiesDistTags: the npm tags aliasing a copied
// version follow it, replacing the destination's value; tags of versions
// not copied stay behind.
func TestCopyPackageVersionsCopiesDistTags(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("tags")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	for _, r := range []string{"src", "dst"} {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}
	token := aws.ToString(must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: d})).AuthorizationToken)
	endpoint := func(repo string) string {
		ep := must(ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: d, Repository: aws.String(repo), Format: types.PackageFormatNpm}))
		return strings.TrimRight(aws.ToString(ep.RepositoryEndpoint), "/") + "/"
	}
	do := func(method, url, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
		}
		return b
	}
	publish := func(repo, version, tag string) {
		tgz := base64.StdEncoding.EncodeToString([]byte("tarball " + version))
		do(http.MethodPut, endpoint(repo)+"cp", fmt.Sprintf(`{"name":"cp","dist-tags":{%q:%q},"versions":{%q:{"name":"cp","version":%q,"dist":{"tarball":"x"}}},`+
			`"_attachments":{"cp-%s.tgz":{"content_type":"application/octet-stream","data":%q,"length":%d}}}`,
			tag, version, version, version, version, tgz, len("tarball "+version)))
	}
	tags := func(repo string) map[string]string {
		t.Helper()
		var m map[string]string
		if err := json.Unmarshal(do(http.MethodGet, endpoint(repo)+"-/package/cp/dist-tags", ""), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	publish("src", "1.0.0", "latest")
	publish("src", "2.0.0", "beta")
	do(http.MethodPut, endpoint("src")+"-/package/cp/dist-tags/stable", `"1.0.0"`)
	publish("dst", "0.9.0", "latest")
	if got := tags("src"); !reflect.DeepEqual(got, map[string]string{"latest": "1.0.0", "beta": "2.0.0", "stable": "1.0.0"}) {
		t.Fatalf("source tags %v", got)
	}
	copyVersions := func(versions ...string) {
		out := must(ca.CopyPackageVersions(ctx, &codeartifact.CopyPackageVersionsInput{Domain: d, SourceRepository: aws.String("src"),
			DestinationRepository: aws.String("dst"), Format: types.PackageFormatNpm, Package: aws.String("cp"), Versions: versions}))
		if len(out.SuccessfulVersions) != len(versions) {
			t.Fatalf("CopyPackageVersions %v: %+v", versions, out.FailedVersions)
		}
	}
	copyVersions("1.0.0")
	if got := tags("dst"); !reflect.DeepEqual(got, map[string]string{"latest": "1.0.0", "stable": "1.0.0"}) {
		t.Errorf("destination tags after copying 1.0.0 = %v; want latest and stable at 1.0.0, no beta", got)
	}
	copyVersions("2.0.0")
	if got := tags("dst"); !reflect.DeepEqual(got, map[string]string{"latest": "1.0.0", "stable": "1.0.0", "beta": "2.0.0"}) {
		t.Errorf("destination tags after copying 2.0.0 = %v", got)
	}
}

// TestDeleteRemovesUnreferencedBlobs: DeletePackageVersions and
// DeletePackage remove the blob files of the data directory that no other
// version of the domain references, and keep the ones another still does.
func TestDeleteRemovesUnreferencedBlobs(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d, r, f, ns := aws.String("del"), aws.String("files"), types.PackageFormatGeneric, aws.String("n")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: r}))
	publish := func(pkg, version string, body []byte) {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: r, Format: f, Namespace: ns,
			Package: aws.String(pkg), PackageVersion: aws.String(version), AssetName: aws.String("a.bin"),
			AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}
	blobFile := func(body []byte) string {
		s := sha(body)
		return srv.DataDir + "/blobs/" + apptest.Account + "%2Fdel/sha256/" + s[0:2] + "/" + s[2:4] + "/" + s
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	one, two, shared := []byte("only in p 1"), []byte("only in p 2"), []byte("in p 3 and q 1")
	publish("p", "1", one)
	publish("p", "2", two)
	publish("p", "3", shared)
	publish("q", "1", shared)
	for _, b := range [][]byte{one, two, shared} {
		if !exists(blobFile(b)) {
			t.Fatalf("no blob file at %s", blobFile(b))
		}
	}
	must(ca.DeletePackageVersions(ctx, &codeartifact.DeletePackageVersionsInput{Domain: d, Repository: r, Format: f, Namespace: ns,
		Package: aws.String("p"), Versions: []string{"1"}}))
	if exists(blobFile(one)) || !exists(blobFile(two)) {
		t.Fatalf("after deleting p 1: its blob present %v (want false), p 2's %v (want true)", exists(blobFile(one)), exists(blobFile(two)))
	}
	must(ca.DeletePackage(ctx, &codeartifact.DeletePackageInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: aws.String("p")}))
	if exists(blobFile(two)) || !exists(blobFile(shared)) {
		t.Fatalf("after deleting p: p 2's blob present %v (want false), the one q 1 shares %v (want true)", exists(blobFile(two)), exists(blobFile(shared)))
	}
	got := must(ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{Domain: d, Repository: r, Format: f, Namespace: ns,
		Package: aws.String("q"), PackageVersion: aws.String("1"), Asset: aws.String("a.bin")}))
	b, _ := io.ReadAll(got.Asset)
	got.Asset.Close()
	if !bytes.Equal(b, shared) {
		t.Fatalf("q 1 reads %q", b)
	}
}
