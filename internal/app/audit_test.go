package app_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// TestAuditTrailOfAPIChanges: every API call that changes what a domain holds
// leaves one record per version it touched, with principal, request id,
// coordinates and hashes; reads leave none.
func TestAuditTrailOfAPIChanges(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d, ns, p, f := aws.String("aud"), aws.String("tools"), aws.String("cli"), types.PackageFormatGeneric
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	for _, r := range []string{"ra", "rb"} {
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String(r)}))
	}
	body := []byte("binary")
	for _, v := range []string{"1.0.0", "2.0.0"} {
		must(ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: d, Repository: aws.String("ra"), Format: f,
			Namespace: ns, Package: p, PackageVersion: aws.String(v), AssetName: aws.String("cli"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(sha(body))}))
	}
	must(ca.ListPackageVersions(ctx, &codeartifact.ListPackageVersionsInput{Domain: d, Repository: aws.String("ra"), Format: f, Namespace: ns, Package: p}))
	must(ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: d, Repository: aws.String("ra"), Format: f, Namespace: ns, Package: p,
		Versions: []string{"1.0.0"}, TargetStatus: types.PackageVersionStatusArchived}))
	must(ca.CopyPackageVersions(ctx, &codeartifact.CopyPackageVersionsInput{Domain: d, SourceRepository: aws.String("ra"), DestinationRepository: aws.String("rb"),
		Format: f, Namespace: ns, Package: p, Versions: []string{"2.0.0"}}))
	must(ca.DisposePackageVersions(ctx, &codeartifact.DisposePackageVersionsInput{Domain: d, Repository: aws.String("rb"), Format: f, Namespace: ns, Package: p, Versions: []string{"2.0.0"}}))
	must(ca.DeletePackageVersions(ctx, &codeartifact.DeletePackageVersionsInput{Domain: d, Repository: aws.String("ra"), Format: f, Namespace: ns, Package: p, Versions: []string{"1.0.0"}}))
	must(ca.PutPackageOriginConfiguration(ctx, &codeartifact.PutPackageOriginConfigurationInput{Domain: d, Repository: aws.String("ra"), Format: f, Namespace: ns, Package: p,
		Restrictions: &types.PackageOriginRestrictions{Publish: types.AllowPublishBlock, Upstream: types.AllowUpstreamAllow}}))
	must(ca.DeletePackage(ctx, &codeartifact.DeletePackageInput{Domain: d, Repository: aws.String("rb"), Format: f, Namespace: ns, Package: p}))
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + apptest.Account + `:root"},"Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	must(ca.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: d, Repository: aws.String("ra"), PolicyDocument: aws.String(doc)}))

	recs, _, err := srv.App.Store().ListAudit(ctx, store.AuditFilter{DomainName: "aud"}, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, repo, version, op, status string }{
		{model.AuditPublish, "ra", "1.0.0", model.OpCreated, model.StatusPublished},
		{model.AuditPublish, "ra", "2.0.0", model.OpCreated, model.StatusPublished},
		{model.AuditStatus, "ra", "1.0.0", model.OpUpdated, model.StatusArchived},
		{model.AuditCopy, "rb", "2.0.0", model.OpCreated, model.StatusPublished},
		{model.AuditDispose, "rb", "2.0.0", model.OpUpdated, model.StatusDisposed},
		{model.AuditDeleteVersion, "ra", "1.0.0", model.OpDeleted, model.StatusDeleted},
		{model.AuditOrigin, "ra", "", "", ""},
		{model.AuditDeletePackage, "rb", "2.0.0", model.OpDeleted, model.StatusDeleted},
		{model.AuditPolicy, "ra", "", "", ""},
	}
	if len(recs) != len(want) {
		for _, r := range recs {
			t.Logf("%s %s %s", r.Action, r.Repository, r.Version)
		}
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	ids := map[string]bool{}
	for i, w := range want {
		r := recs[i]
		if r.Action != w.action || r.Repository != w.repo || r.Version != w.version || r.Detail.OperationType != w.op || r.Detail.Status != w.status {
			t.Errorf("record %d: %s %s %s %s %s, want %+v", i, r.Action, r.Repository, r.Version, r.Detail.OperationType, r.Detail.Status, w)
		}
		if r.Principal == "" || r.RequestID == "" || ids[r.RequestID] || r.DomainOwner != apptest.Account {
			t.Errorf("record %d: principal %q request id %q (seen before: %v)", i, r.Principal, r.RequestID, ids[r.RequestID])
		}
		ids[r.RequestID] = true
		if w.action != model.AuditPolicy && (r.Format != model.FormatGeneric || r.Namespace != "tools" || r.Package != "cli") {
			t.Errorf("record %d coordinates %s %s %s", i, r.Format, r.Namespace, r.Package)
		}
	}
	if a := recs[0].Detail.Assets; len(a) != 1 || a[0].SHA256 != sha(body) || a[0].Size != int64(len(body)) {
		t.Errorf("publish record assets %+v", a)
	}
	if recs[3].Detail.SourceRepository != "ra" || len(recs[3].Detail.Assets) != 1 {
		t.Errorf("copy record %+v", recs[3].Detail)
	}
	if recs[6].Detail.Publish != model.Block || recs[6].Detail.Upstream != model.Allow {
		t.Errorf("origin record %+v", recs[6].Detail)
	}
	if recs[8].Detail.PolicyRevision == "" || recs[8].Detail.ResourceARN == "" {
		t.Errorf("policy record %+v", recs[8].Detail)
	}
}
