package swift_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

const manifest = "// swift-tools-version:5.7\nimport PackageDescription\nlet package = Package(name: \"LinkedList\")\n"

// checkV1 asserts what SwiftPM's validateAPIVersion and content-type checks
// require of every answer.
func checkV1(t *testing.T, what string, r response, status int, ct string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.Status, status, r.Body)
	}
	if got := r.Header.Get("Content-Version"); got != "1" {
		t.Errorf("%s: Content-Version %q, want 1", what, got)
	}
	if ct != "" && !strings.HasPrefix(r.Header.Get("Content-Type"), ct) {
		t.Errorf("%s: Content-Type %q, want %s", what, r.Header.Get("Content-Type"), ct)
	}
}

// TestSwiftPublishResolve: two packages published into A as
// `swift package-registry publish` does, then everything
// `swift package resolve` reads, from B whose upstream is A: releases list,
// release metadata, Package.swift (and its swift-version variants), the
// source archive whose sha256 is the metadata's checksum, identifiers lookup.
func TestSwiftPublishResolve(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "swiftdom"
	ca := srv.Setup(t, dom, []string{"repo-a", "repo-b"}, map[string][]string{"repo-b": {"repo-a"}}, nil)
	tok := apptest.Token(t, ca, dom)
	epA := apptest.Endpoint(t, ca, dom, "repo-a", types.PackageFormatSwift)
	epB := apptest.Endpoint(t, ca, dom, "repo-b", types.PackageFormatSwift)
	if !strings.HasSuffix(epA, "/swift/repo-a/") {
		t.Fatalf("endpoint %s", epA)
	}

	ll := sourceArchive(t, "mona.LinkedList",
		"Package.swift", manifest,
		"Package@swift-5.5.swift", "// swift-tools-version:5.5\nimport PackageDescription\n",
		"Sources/LinkedList/LinkedList.swift", "public struct LinkedList {}\n")
	meta := `{"description":"One thing links to another.","repositoryURLs":["https://github.com/mona/LinkedList","git@github.com:mona/LinkedList.git"]}`
	r := publish(t, epA, tok, "mona", "LinkedList", "1.1.1", ll, meta)
	checkV1(t, "publish", r, http.StatusCreated, "")
	if r.Header.Get("Location") != epA+"mona/LinkedList/1.1.1" {
		t.Errorf("Location %q", r.Header.Get("Location"))
	}
	llOld := sourceArchive(t, "mona.LinkedList", "Package.swift", manifest, "Sources/LinkedList/L.swift", "// old\n")
	checkV1(t, "publish 1.0.0", publish(t, epA, tok, "mona", "LinkedList", "1.0.0", llOld, meta), http.StatusCreated, "")
	other := sourceArchive(t, "octo.Utils", "Package.swift", "// swift-tools-version:5.9\n", "Sources/Utils/U.swift", "x")
	checkV1(t, "publish octo.Utils (no metadata)", publish(t, epA, tok, "octo", "Utils", "2.0.0-beta.1", other, ""), http.StatusCreated, "")
	// The same version again is a conflict, in any spelling of the identifier.
	checkV1(t, "republish", publish(t, epA, tok, "Mona", "linkedlist", "1.1.1", ll, meta), http.StatusConflict, "application/problem+json")

	// A version its upstream holds cannot be published again in B.
	checkV1(t, "publish over the upstream's version", publish(t, epB, tok, "mona", "LinkedList", "1.1.1", ll, meta), http.StatusConflict, "application/problem+json")

	// Releases list through B, case-insensitively.
	r = get(t, epB+"MONA/linkedList", tok, acceptJSON)
	checkV1(t, "releases", r, http.StatusOK, "application/json")
	var rl struct {
		Releases map[string]struct{ URL string } `json:"releases"`
	}
	if err := json.Unmarshal(r.Body, &rl); err != nil || len(rl.Releases) != 2 || rl.Releases["1.1.1"].URL != epB+"MONA/linkedList/1.1.1" {
		t.Fatalf("releases %s (%v)", r.Body, err)
	}
	if l := r.Header.Get("Link"); !strings.Contains(l, `<`+epB+`MONA/linkedList/1.1.1>; rel="latest-version"`) || !strings.Contains(l, `<https://github.com/mona/LinkedList>; rel="canonical"`) {
		t.Errorf("releases Link %q", l)
	}

	// Release metadata.
	r = get(t, epB+"mona/LinkedList/1.1.1", tok, acceptJSON)
	checkV1(t, "release", r, http.StatusOK, "application/json")
	var rel struct {
		ID        string `json:"id"`
		Version   string `json:"version"`
		Resources []struct {
			Name, Type, Checksum string
		} `json:"resources"`
		Metadata    map[string]any `json:"metadata"`
		PublishedAt string         `json:"publishedAt"`
	}
	if err := json.Unmarshal(r.Body, &rel); err != nil || rel.ID != "mona.LinkedList" || rel.Version != "1.1.1" || len(rel.Resources) != 1 || rel.PublishedAt == "" {
		t.Fatalf("release %s (%v)", r.Body, err)
	}
	sum := sha256.Sum256(ll)
	if res := rel.Resources[0]; res.Name != "source-archive" || res.Type != "application/zip" || res.Checksum != hex.EncodeToString(sum[:]) {
		t.Errorf("resource %+v, want checksum %x", res, sum)
	}
	if rel.Metadata["description"] != "One thing links to another." {
		t.Errorf("metadata %v", rel.Metadata)
	}
	if l := r.Header.Get("Link"); !strings.Contains(l, `1.0.0>; rel="predecessor-version"`) || !strings.Contains(l, `rel="latest-version"`) {
		t.Errorf("release Link %q", l)
	}

	// Manifest, its variants, and the redirect for an unknown swift-version.
	r = get(t, epB+"mona/LinkedList/1.1.1/Package.swift", tok, acceptSwift)
	checkV1(t, "manifest", r, http.StatusOK, "text/x-swift")
	if string(r.Body) != manifest {
		t.Errorf("manifest %q", r.Body)
	}
	if l := r.Header.Get("Link"); !strings.Contains(l, `Package.swift?swift-version=5.5>; rel="alternate"; filename="Package@swift-5.5.swift"; swift-tools-version="5.5"`) {
		t.Errorf("manifest Link %q", l)
	}
	r = get(t, epB+"mona/LinkedList/1.1.1/Package.swift?swift-version=5.5", tok, acceptSwift)
	checkV1(t, "manifest 5.5", r, http.StatusOK, "text/x-swift")
	if !strings.HasPrefix(string(r.Body), "// swift-tools-version:5.5") {
		t.Errorf("manifest 5.5 %q", r.Body)
	}
	r = get(t, epB+"mona/LinkedList/1.1.1/Package.swift?swift-version=4.2", tok, acceptSwift)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != epB+"mona/LinkedList/1.1.1/Package.swift" {
		t.Errorf("manifest 4.2: %d %q", r.Status, r.Header.Get("Location"))
	}

	// Source archive: the bytes published, the checksum of the metadata.
	r = get(t, epB+"mona/LinkedList/1.1.1.zip", tok, acceptZip)
	checkV1(t, "archive", r, http.StatusOK, "application/zip")
	got := sha256.Sum256(r.Body)
	if hex.EncodeToString(got[:]) != rel.Resources[0].Checksum {
		t.Errorf("archive sha256 %x, metadata says %s", got, rel.Resources[0].Checksum)
	}
	if d := r.Header.Get("Digest"); d != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("Digest %q", d)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="LinkedList-1.1.1.zip"` {
		t.Errorf("Content-Disposition %q", cd)
	}

	// Identifiers lookup, by any spelling of the repository URL.
	for _, u := range []string{"https://github.com/mona/LinkedList", "https://github.com/mona/linkedlist.git", "git@github.com:mona/LinkedList.git"} {
		r = get(t, epB+"identifiers?url="+u, tok, acceptJSON)
		checkV1(t, "identifiers "+u, r, http.StatusOK, "application/json")
		if string(r.Body) != `{"identifiers":["mona.LinkedList"]}` {
			t.Errorf("identifiers %s", r.Body)
		}
	}
	checkV1(t, "identifiers unknown", get(t, epB+"identifiers?url=https://github.com/mona/Other", tok, acceptJSON), http.StatusNotFound, "application/problem+json")

	// Problem details, API version negotiation, authentication.
	checkV1(t, "missing package", get(t, epB+"mona/Nothing", tok, acceptJSON), http.StatusNotFound, "application/problem+json")
	checkV1(t, "v2 Accept", get(t, epB+"mona/LinkedList", tok, "application/vnd.swift.registry.v2+json"), http.StatusUnsupportedMediaType, "application/problem+json")
	if r := get(t, epB+"mona/LinkedList", "", acceptJSON); r.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.Status)
	}
	login, _ := http.NewRequest(http.MethodPost, epA+"login", nil)
	login.Header.Set("Authorization", "Bearer "+tok)
	checkV1(t, "login", do(t, login), http.StatusOK, "")

	// B retained what it served; the package operations see swift.
	ctx := context.Background()
	lp, err := ca.ListPackages(ctx, &codeartifact.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String("repo-a"), Format: types.PackageFormatSwift})
	if err != nil || len(lp.Packages) != 2 {
		t.Fatalf("ListPackages: %v %+v", err, lp)
	}
	for _, p := range lp.Packages {
		if ns, n := aws.ToString(p.Namespace), aws.ToString(p.Package); !(ns == "mona" && n == "linkedlist") && !(ns == "octo" && n == "utils") {
			t.Errorf("package %s/%s, want lowercased scope and name", ns, n)
		}
	}
	dv, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("repo-a"),
		Format: types.PackageFormatSwift, Namespace: aws.String("Mona"), Package: aws.String("LinkedList"), PackageVersion: aws.String("1.1.1")})
	if err != nil || aws.ToString(dv.PackageVersion.Summary) != "One thing links to another." || aws.ToString(dv.PackageVersion.SourceCodeRepository) != "https://github.com/mona/LinkedList" {
		t.Fatalf("DescribePackageVersion: %v %+v", err, dv)
	}
	as, err := ca.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(dom), Repository: aws.String("repo-b"),
		Format: types.PackageFormatSwift, Namespace: aws.String("mona"), Package: aws.String("linkedlist"), PackageVersion: aws.String("1.1.1")})
	if err != nil {
		t.Fatalf("ListPackageVersionAssets in b: %v", err)
	}
	names := map[string]bool{}
	for _, a := range as.Assets {
		names[aws.ToString(a.Name)] = true
	}
	if !names["source-archive.zip"] || !names["Package.swift"] || !names["Package@swift-5.5.swift"] {
		t.Errorf("assets in b %v", names)
	}

	// Unlisted: hidden from the releases list, still served by version.
	// Archived: not served at all.
	setStatus := func(v string, s types.PackageVersionStatus) {
		t.Helper()
		if _, err := ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(dom), Repository: aws.String("repo-a"),
			Format: types.PackageFormatSwift, Namespace: aws.String("mona"), Package: aws.String("linkedlist"), Versions: []string{v}, TargetStatus: s}); err != nil {
			t.Fatalf("UpdatePackageVersionsStatus %s %s: %v", v, s, err)
		}
	}
	setStatus("1.0.0", types.PackageVersionStatusUnlisted)
	r = get(t, epA+"mona/LinkedList", tok, acceptJSON)
	if strings.Contains(string(r.Body), `"1.0.0"`) || !strings.Contains(string(r.Body), `"1.1.1"`) {
		t.Errorf("unlisted 1.0.0 still listed: %s", r.Body)
	}
	checkV1(t, "unlisted release", get(t, epA+"mona/LinkedList/1.0.0", tok, acceptJSON), http.StatusOK, "application/json")
	setStatus("1.0.0", types.PackageVersionStatusArchived)
	checkV1(t, "archived release", get(t, epA+"mona/LinkedList/1.0.0", tok, acceptJSON), http.StatusNotFound, "application/problem+json")
	checkV1(t, "archived archive", get(t, epA+"mona/LinkedList/1.0.0.zip", tok, acceptZip), http.StatusNotFound, "application/problem+json")
	checkV1(t, "archived manifest", get(t, epA+"mona/LinkedList/1.0.0/Package.swift", tok, acceptSwift), http.StatusNotFound, "application/problem+json")
}
