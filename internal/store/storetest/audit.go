package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func auditRec(action, repo, pkg, version, principal string, at time.Time) model.AuditRecord {
	r := model.AuditRecord{Time: at, RequestID: "req-" + action, Principal: principal, Action: action,
		DomainOwner: owner, DomainName: "acme", Repository: repo, Format: model.FormatNpm, Package: pkg, Version: version}
	if version != "" {
		r.Detail = model.AuditDetail{OperationType: model.OpCreated, Status: model.StatusPublished, Revision: "rev",
			ExternalConnection: "public:npmjs", UpstreamURL: "https://registry.example/",
			Assets: []model.AuditAsset{{Name: pkg + "-" + version + ".tgz", Size: 42, SHA256: "ab", SHA512: "cd"}}}
	} else {
		r.Detail = model.AuditDetail{Publish: model.Block, Upstream: model.Allow}
	}
	return r
}

func testAudit(t *testing.T, s store.Store) {
	c := ctx(t)
	alice := "arn:aws:iam::" + owner + ":user/alice"
	bob := "arn:aws:iam::" + owner + ":user/bob"
	recs := []model.AuditRecord{
		auditRec(model.AuditIngest, "store", "left-pad", "1.0.0", alice, t0),
		auditRec(model.AuditIngest, "store", "left-pad", "1.1.0", alice, t0.Add(time.Second)),
		auditRec(model.AuditOrigin, "app", "left-pad", "", bob, t0.Add(2*time.Second)),
	}
	if err := s.AppendAudit(c, recs, nil); err != nil {
		t.Fatal(err)
	}
	if recs[0].ID == 0 || recs[1].ID <= recs[0].ID || recs[2].ID <= recs[1].ID {
		t.Fatalf("ids not assigned increasing: %d %d %d", recs[0].ID, recs[1].ID, recs[2].ID)
	}
	more := auditRec(model.AuditPublish, "app", "other", "2.0.0", bob, t0.Add(3*time.Second))
	more.Namespace = "scope"
	batch := []model.AuditRecord{more}
	if err := s.AppendAudit(c, batch, nil); err != nil {
		t.Fatal(err)
	}
	more = batch[0]

	all, next, err := s.ListAudit(c, store.AuditFilter{}, store.Page{})
	if err != nil || next != "" || len(all) != 4 {
		t.Fatalf("all: %d records, next %q, %v", len(all), next, err)
	}
	want := recs[0]
	want.Time = want.Time.UTC()
	if !reflect.DeepEqual(all[0], want) {
		t.Fatalf("record round trip:\n got %+v\nwant %+v", all[0], want)
	}
	ns := "scope"
	noNS := ""
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want int
	}{
		{"repository", store.AuditFilter{Repository: "store"}, 2},
		{"package", store.AuditFilter{DomainOwner: owner, DomainName: "acme", Package: "left-pad"}, 3},
		{"package in repository", store.AuditFilter{Repository: "app", Format: model.FormatNpm, Package: "left-pad"}, 1},
		{"namespace", store.AuditFilter{Namespace: &ns}, 1},
		{"no namespace", store.AuditFilter{Namespace: &noNS}, 3},
		{"principal", store.AuditFilter{Principal: bob}, 2},
		{"since", store.AuditFilter{Since: t0.Add(time.Second)}, 3},
		{"until", store.AuditFilter{Until: t0.Add(time.Second)}, 1},
		{"window", store.AuditFilter{Since: t0.Add(time.Second), Until: t0.Add(3 * time.Second)}, 2},
		{"other domain", store.AuditFilter{DomainName: "nope"}, 0},
	} {
		got, _, err := s.ListAudit(c, tc.f, store.Page{})
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d records (%v), want %d", tc.name, len(got), err, tc.want)
		}
	}
	// Pages follow ID order and end with an empty cursor.
	var ids []int64
	p := store.Page{Limit: 3}
	for {
		page, next, err := s.ListAudit(c, store.AuditFilter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			ids = append(ids, r.ID)
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	if len(ids) != 4 || ids[0] != recs[0].ID || ids[3] != more.ID {
		t.Fatalf("paged ids %v", ids)
	}
}

func testEventOutbox(t *testing.T, s store.Store) {
	c := ctx(t)
	hooks := []string{"http://127.0.0.1:1/a", "http://127.0.0.1:1/b"}
	recs := []model.AuditRecord{
		auditRec(model.AuditPublish, "app", "p", "1.0.0", "arn", t0),
		auditRec(model.AuditOrigin, "app", "p", "", "arn", t0), // not a version state change: no event
	}
	if err := s.AppendAudit(c, recs, hooks); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(time.Minute)
	got, err := s.ClaimDeliveries(c, now, time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %d deliveries, %v", len(got), err)
	}
	for _, d := range got {
		if d.Record.ID != recs[0].ID || d.Record.Detail.ExternalConnection != "public:npmjs" || d.Attempts != 0 {
			t.Fatalf("delivery %+v", d)
		}
	}
	// Leased: not claimed again until the lease ends.
	if again, err := s.ClaimDeliveries(c, now.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed during the lease: %d %v", len(again), err)
	}
	if err := s.FinishDelivery(c, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryDelivery(c, got[1].ID, now.Add(2*time.Hour), "503 from receiver"); err != nil {
		t.Fatal(err)
	}
	if again, err := s.ClaimDeliveries(c, now.Add(time.Hour), time.Minute, 10); err != nil || len(again) != 0 {
		t.Fatalf("claimed before its retry time: %d %v", len(again), err)
	}
	again, err := s.ClaimDeliveries(c, now.Add(3*time.Hour), time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].ID != got[1].ID || again[0].Attempts != 1 || again[0].Webhook != got[1].Webhook {
		t.Fatalf("retry: %+v %v", again, err)
	}
	if err := s.FinishDelivery(c, again[0].ID); err != nil {
		t.Fatal(err)
	}
	if rest, err := s.ClaimDeliveries(c, now.Add(100*time.Hour), time.Minute, 10); err != nil || len(rest) != 0 {
		t.Fatalf("outbox not empty: %d %v", len(rest), err)
	}
	// The audit trail keeps the records whatever happened to their events.
	if all, _, err := s.ListAudit(c, store.AuditFilter{}, store.Page{}); err != nil || len(all) != 2 {
		t.Fatalf("audit after delivery: %d %v", len(all), err)
	}
}
