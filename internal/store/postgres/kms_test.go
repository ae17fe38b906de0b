package postgres

import (
	"reflect"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// The KMS methods are not in storetest (yet); this covers the PostgreSQL port.
func TestKMS(t *testing.T) {
	s := open(t, freshDSN(t))
	defer s.Close()
	ctx := t.Context()
	const acct = "111111111111"
	created := time.UnixMilli(1715000000123).UTC()
	k := model.KMSKey{Account: acct, Region: "us-east-1", KeyID: "k2", Description: "d", KeyUsage: "ENCRYPT_DECRYPT",
		KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS", State: model.KMSKeyEnabled, Policy: "{}",
		MultiRegion: true, RotationEnabled: true, RotationPeriodDays: 365, CreatedAt: created}
	if err := s.PutKMSKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetKMSKey(ctx, acct, "k2")
	if err != nil || !reflect.DeepEqual(got, k) {
		t.Fatalf("GetKMSKey = %+v, %v; want %+v", got, err, k)
	}
	k.State, k.RotationEnabled, k.DeletionDate, k.PendingWindowDays = model.KMSKeyPendingDeletion, false, created.Add(time.Hour), 7
	if err := s.PutKMSKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if got, err = s.GetKMSKey(ctx, acct, "k2"); err != nil || !reflect.DeepEqual(got, k) {
		t.Fatalf("GetKMSKey after replace = %+v, %v; want %+v", got, err, k)
	}
	if _, err := s.GetKMSKey(ctx, "222222222222", "k2"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("GetKMSKey of another account: %v, want NotFound", err)
	}
	k1 := k
	k1.KeyID = "k1"
	if err := s.PutKMSKey(ctx, k1); err != nil {
		t.Fatal(err)
	}
	ks, next, err := s.ListKMSKeys(ctx, acct, store.Page{Limit: 1})
	if err != nil || len(ks) != 1 || ks[0].KeyID != "k1" || next == "" {
		t.Fatalf("ListKMSKeys page 1 = %+v, %q, %v", ks, next, err)
	}
	if ks, next, err = s.ListKMSKeys(ctx, acct, store.Page{Limit: 1, Cursor: next}); err != nil || len(ks) != 1 || ks[0].KeyID != "k2" || next != "" {
		t.Fatalf("ListKMSKeys page 2 = %+v, %q, %v", ks, next, err)
	}

	a := model.KMSAlias{Account: acct, Region: "us-east-1", Name: "alias/x", TargetKeyID: "k2", CreatedAt: created, UpdatedAt: created}
	if err := s.CreateKMSAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKMSAlias(ctx, a); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("CreateKMSAlias twice: %v, want Conflict", err)
	}
	bad := a
	bad.Name, bad.TargetKeyID = "alias/y", "nope"
	if err := s.CreateKMSAlias(ctx, bad); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("CreateKMSAlias to a missing key: %v, want NotFound", err)
	}
	a.TargetKeyID, a.UpdatedAt = "k1", created.Add(time.Minute)
	if err := s.UpdateKMSAlias(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateKMSAlias(ctx, bad); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("UpdateKMSAlias of a missing alias: %v, want NotFound", err)
	}
	if ga, err := s.GetKMSAlias(ctx, acct, "alias/x"); err != nil || !reflect.DeepEqual(ga, a) {
		t.Fatalf("GetKMSAlias = %+v, %v; want %+v", ga, err, a)
	}
	if as, _, err := s.ListKMSAliases(ctx, acct, store.Page{}); err != nil || len(as) != 1 {
		t.Fatalf("ListKMSAliases = %+v, %v", as, err)
	}

	// Deleting a key takes its aliases and tags along.
	if err := s.SetTags(ctx, k1.ARN(), []model.Tag{{Key: "a", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteKMSKey(ctx, acct, "k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetKMSAlias(ctx, acct, "alias/x"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("alias after its key's deletion: %v, want NotFound", err)
	}
	if tags, err := s.ListTags(ctx, k1.ARN()); err != nil || len(tags) != 0 {
		t.Errorf("tags after key deletion = %+v, %v", tags, err)
	}
	if err := s.DeleteKMSKey(ctx, acct, "k1"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("DeleteKMSKey twice: %v, want NotFound", err)
	}
	if err := s.DeleteKMSAlias(ctx, acct, "alias/x"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("DeleteKMSAlias of a cascaded alias: %v, want NotFound", err)
	}
}
