package app_test

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestListPackageVersionsPages walks ListPackageVersions pages with the SDK's
// paginator: each order and filter gives the same versions in the same order
// as one big page, defaultDisplayVersion is on every page, and a token that
// wharf did not give (or gave for the other order) is a ValidationException.
func TestListPackageVersionsPages(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d, r, f, ns, p := aws.String("pages"), aws.String("ra"), types.PackageFormatGeneric, aws.String("tools"), aws.String("cli")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: r}))
	body := []byte("asset")
	names := []string{"2.0.0", "1.10.0", "3.0.0", "1.2.0", "0.9.0", "1.0.0", "10.0.0"}
	for _, v := range names {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p,
			PackageVersion: aws.String(v), AssetName: aws.String("a.bin"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}
	must(ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p,
		Versions: []string{"3.0.0", "1.0.0"}, TargetStatus: types.PackageVersionStatusUnlisted}))

	// The reference: every version's published time and status as described.
	type desc struct {
		version string
		at      int64
		status  types.PackageVersionStatus
	}
	var all []desc
	for _, v := range names {
		pv := must(ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p,
			PackageVersion: aws.String(v)})).PackageVersion
		all = append(all, desc{v, pv.PublishedTime.UnixMilli(), pv.Status})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].version < all[j].version })
	byTime := append([]desc{}, all...)
	sort.SliceStable(byTime, func(i, j int) bool { return byTime[i].at > byTime[j].at })
	wantDefault := ""
	var newest int64
	for _, v := range all {
		if v.status == types.PackageVersionStatusPublished && v.at >= newest {
			wantDefault, newest = v.version, v.at
		}
	}

	for _, c := range []struct {
		sortBy types.PackageVersionSortType
		status types.PackageVersionStatus
		ref    []desc
	}{
		{"", "", all},
		{types.PackageVersionSortTypePublishedTime, "", byTime},
		{"", types.PackageVersionStatusPublished, all},
		{types.PackageVersionSortTypePublishedTime, types.PackageVersionStatusUnlisted, byTime},
	} {
		var want []string
		for _, v := range c.ref {
			if c.status == "" || v.status == c.status {
				want = append(want, v.version)
			}
		}
		pages := codeartifact.NewListPackageVersionsPaginator(ca, &codeartifact.ListPackageVersionsInput{Domain: d, Repository: r, Format: f,
			Namespace: ns, Package: p, SortBy: c.sortBy, Status: c.status, MaxResults: aws.Int32(2)})
		var got []string
		n := 0
		for pages.HasMorePages() {
			out := must(pages.NextPage(ctx))
			n++
			if aws.ToString(out.DefaultDisplayVersion) != wantDefault {
				t.Errorf("sort %q status %q page %d: defaultDisplayVersion %q, want %q", c.sortBy, c.status, n, aws.ToString(out.DefaultDisplayVersion), wantDefault)
			}
			if len(out.Versions) > 2 || (out.NextToken != nil && len(out.Versions) != 2) {
				t.Fatalf("sort %q status %q page %d: %d versions, nextToken %v", c.sortBy, c.status, n, len(out.Versions), out.NextToken != nil)
			}
			for _, v := range out.Versions {
				got = append(got, aws.ToString(v.Version))
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("sort %q status %q: walked %v, want %v", c.sortBy, c.status, got, want)
		}
	}

	first := must(ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p,
		MaxResults: aws.Int32(1)}))
	if first.NextToken == nil {
		t.Fatal("no nextToken on a first page of one")
	}
	for _, c := range []struct {
		token  string
		sortBy types.PackageVersionSortType
	}{
		{"not-a-token", ""},
		{"MTA", ""}, // base64 of "10": the offsets of before
		{aws.ToString(first.NextToken), types.PackageVersionSortTypePublishedTime},
	} {
		_, err := ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: d, Repository: r, Format: f, Namespace: ns, Package: p,
			NextToken: aws.String(c.token), SortBy: c.sortBy})
		e := wantErr[*types.ValidationException](t, err)
		if !strings.Contains(aws.ToString(e.Message), "nextToken is not a token returned by a previous call") {
			t.Errorf("token %q sort %q: %v", c.token, c.sortBy, e)
		}
	}
}
