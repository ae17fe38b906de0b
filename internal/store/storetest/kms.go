package storetest

import (
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func newKMSKey(account, id string) model.KMSKey {
	return model.KMSKey{
		Account: account, Region: region, KeyID: id, Description: "key " + id,
		KeyUsage: "ENCRYPT_DECRYPT", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS",
		State: model.KMSKeyEnabled, Policy: `{"Version":"2012-10-17","Statement":[]}`, CreatedAt: t0,
	}
}

// sameKMSKey compares keys with times to the millisecond.
func sameKMSKey(t *testing.T, what string, got, want model.KMSKey) {
	t.Helper()
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+" DeletionDate", got.DeletionDate, want.DeletionDate)
	got.CreatedAt, got.DeletionDate, want.CreatedAt, want.DeletionDate = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	deepEqual(t, what, got, want)
}

func testKMSKeys(t *testing.T, s store.Store) {
	_, err := s.GetKMSKey(ctx(t), owner, "missing")
	wantResource(t, err, apperr.NotFound, "kms-key", "missing", "GetKMSKey missing")

	k := newKMSKey(owner, "1234abcd-0000-0000-0000-000000000001")
	ok(t, s.PutKMSKey(ctx(t), k), "PutKMSKey")
	got, err := s.GetKMSKey(ctx(t), owner, k.KeyID)
	ok(t, err, "GetKMSKey")
	sameKMSKey(t, "GetKMSKey", got, k)

	// Keys are per account.
	_, err = s.GetKMSKey(ctx(t), other, k.KeyID)
	wantKind(t, err, apperr.NotFound, "GetKMSKey of another account")

	// Put replaces every field, booleans and times included.
	k.Description, k.State, k.Policy = "changed", model.KMSKeyPendingDeletion, `{"Id":"p2"}`
	k.MultiRegion, k.RotationEnabled, k.RotationPeriodDays = true, true, 180
	k.DeletionDate, k.PendingWindowDays = t0.Add(7*24*time.Hour), 7
	ok(t, s.PutKMSKey(ctx(t), k), "PutKMSKey replace")
	got, err = s.GetKMSKey(ctx(t), owner, k.KeyID)
	ok(t, err, "GetKMSKey after replace")
	sameKMSKey(t, "GetKMSKey after replace", got, k)

	// And back: false and the zero time survive too.
	k.MultiRegion, k.RotationEnabled, k.DeletionDate, k.State = false, false, time.Time{}, model.KMSKeyDisabled
	ok(t, s.PutKMSKey(ctx(t), k), "PutKMSKey reset")
	got, err = s.GetKMSKey(ctx(t), owner, k.KeyID)
	ok(t, err, "GetKMSKey after reset")
	sameKMSKey(t, "GetKMSKey after reset", got, k)
}

func testListKMSKeys(t *testing.T, s store.Store) {
	ids := []string{"c", "a", "e", "b", "d"}
	for _, id := range ids {
		ok(t, s.PutKMSKey(ctx(t), newKMSKey(owner, id)), "PutKMSKey "+id)
	}
	ok(t, s.PutKMSKey(ctx(t), newKMSKey(other, "z")), "PutKMSKey other account")

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("ListKMSKeys does not terminate")
		}
		keys, next, err := s.ListKMSKeys(ctx(t), owner, store.Page{Cursor: cursor, Limit: 2})
		ok(t, err, "ListKMSKeys")
		if len(keys) > 2 {
			t.Fatalf("page of %d keys, limit 2", len(keys))
		}
		for _, k := range keys {
			got = append(got, k.KeyID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	deepEqual(t, "ListKMSKeys ids", got, []string{"a", "b", "c", "d", "e"})

	all, next, err := s.ListKMSKeys(ctx(t), other, store.Page{})
	ok(t, err, "ListKMSKeys other")
	if len(all) != 1 || all[0].KeyID != "z" || next != "" {
		t.Errorf("ListKMSKeys other = %+v, %q; want the one key z", all, next)
	}
	_, _, err = s.ListKMSKeys(ctx(t), owner, store.Page{Cursor: "not-a-cursor!", Limit: 2})
	wantKind(t, err, apperr.Validation, "ListKMSKeys bad cursor")
}

func testKMSAliases(t *testing.T, s store.Store) {
	k1, k2 := newKMSKey(owner, "k1"), newKMSKey(owner, "k2")
	ok(t, s.PutKMSKey(ctx(t), k1), "PutKMSKey k1")
	ok(t, s.PutKMSKey(ctx(t), k2), "PutKMSKey k2")

	a := model.KMSAlias{Account: owner, Region: region, Name: "alias/app", TargetKeyID: "k1", CreatedAt: t0, UpdatedAt: t0}
	ok(t, s.CreateKMSAlias(ctx(t), a), "CreateKMSAlias")
	err := s.CreateKMSAlias(ctx(t), a)
	wantResource(t, err, apperr.Conflict, "kms-alias", "alias/app", "CreateKMSAlias duplicate")
	err = s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Region: region, Name: "alias/x", TargetKeyID: "nokey"})
	wantKind(t, err, apperr.NotFound, "CreateKMSAlias to a missing key")
	// The same name in another account is another alias, but needs a key there.
	err = s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: other, Region: region, Name: "alias/app", TargetKeyID: "k1"})
	wantKind(t, err, apperr.NotFound, "CreateKMSAlias to another account's key")

	got, err := s.GetKMSAlias(ctx(t), owner, "alias/app")
	ok(t, err, "GetKMSAlias")
	checkTime(t, "KMSAlias.CreatedAt", got.CreatedAt, a.CreatedAt)
	if got.TargetKeyID != "k1" || got.Region != region || got.Name != a.Name || got.Account != owner {
		t.Errorf("GetKMSAlias = %+v, want %+v", got, a)
	}
	_, err = s.GetKMSAlias(ctx(t), other, "alias/app")
	wantKind(t, err, apperr.NotFound, "GetKMSAlias of another account")

	later := t0.Add(time.Hour)
	ok(t, s.UpdateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Name: "alias/app", TargetKeyID: "k2", UpdatedAt: later}), "UpdateKMSAlias")
	got, err = s.GetKMSAlias(ctx(t), owner, "alias/app")
	ok(t, err, "GetKMSAlias after update")
	if got.TargetKeyID != "k2" {
		t.Errorf("alias target = %q after update, want k2", got.TargetKeyID)
	}
	checkTime(t, "KMSAlias.CreatedAt after update", got.CreatedAt, t0)
	checkTime(t, "KMSAlias.UpdatedAt after update", got.UpdatedAt, later)
	err = s.UpdateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Name: "alias/none", TargetKeyID: "k2"})
	wantKind(t, err, apperr.NotFound, "UpdateKMSAlias missing alias")
	err = s.UpdateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Name: "alias/app", TargetKeyID: "nokey"})
	wantKind(t, err, apperr.NotFound, "UpdateKMSAlias to a missing key")

	ok(t, s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Region: region, Name: "alias/b", TargetKeyID: "k1"}), "CreateKMSAlias b")
	ok(t, s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Region: region, Name: "alias/c", TargetKeyID: "k2"}), "CreateKMSAlias c")
	page1, next, err := s.ListKMSAliases(ctx(t), owner, store.Page{Limit: 2})
	ok(t, err, "ListKMSAliases page 1")
	page2, next2, err := s.ListKMSAliases(ctx(t), owner, store.Page{Cursor: next, Limit: 2})
	ok(t, err, "ListKMSAliases page 2")
	var names []string
	for _, a := range append(page1, page2...) {
		names = append(names, a.Name)
	}
	deepEqual(t, "ListKMSAliases names", names, []string{"alias/app", "alias/b", "alias/c"})
	if next == "" || next2 != "" {
		t.Errorf("cursors = %q, %q; want a next cursor after page 1 and none after page 2", next, next2)
	}

	ok(t, s.DeleteKMSAlias(ctx(t), owner, "alias/b"), "DeleteKMSAlias")
	wantKind(t, s.DeleteKMSAlias(ctx(t), owner, "alias/b"), apperr.NotFound, "DeleteKMSAlias again")
	_, err = s.GetKMSAlias(ctx(t), owner, "alias/b")
	wantKind(t, err, apperr.NotFound, "GetKMSAlias deleted")
}

func testDeleteKMSKeyCascades(t *testing.T, s store.Store) {
	k, keep := newKMSKey(owner, "gone"), newKMSKey(owner, "kept")
	ok(t, s.PutKMSKey(ctx(t), k), "PutKMSKey")
	ok(t, s.PutKMSKey(ctx(t), keep), "PutKMSKey kept")
	ok(t, s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Region: region, Name: "alias/gone", TargetKeyID: k.KeyID}), "CreateKMSAlias")
	ok(t, s.CreateKMSAlias(ctx(t), model.KMSAlias{Account: owner, Region: region, Name: "alias/kept", TargetKeyID: keep.KeyID}), "CreateKMSAlias kept")
	ok(t, s.SetTags(ctx(t), k.ARN(), []model.Tag{{Key: "team", Value: "a"}}), "SetTags")
	ok(t, s.SetTags(ctx(t), keep.ARN(), []model.Tag{{Key: "team", Value: "b"}}), "SetTags kept")

	ok(t, s.DeleteKMSKey(ctx(t), owner, k.KeyID), "DeleteKMSKey")
	wantKind(t, s.DeleteKMSKey(ctx(t), owner, k.KeyID), apperr.NotFound, "DeleteKMSKey again")
	_, err := s.GetKMSKey(ctx(t), owner, k.KeyID)
	wantKind(t, err, apperr.NotFound, "GetKMSKey deleted")
	_, err = s.GetKMSAlias(ctx(t), owner, "alias/gone")
	wantKind(t, err, apperr.NotFound, "alias of a deleted key")
	tags, err := s.ListTags(ctx(t), k.ARN())
	ok(t, err, "ListTags deleted key")
	if len(tags) != 0 {
		t.Errorf("tags of a deleted key = %+v, want none", tags)
	}

	// The other key keeps its alias and tags.
	_, err = s.GetKMSAlias(ctx(t), owner, "alias/kept")
	ok(t, err, "GetKMSAlias kept")
	tags, err = s.ListTags(ctx(t), keep.ARN())
	ok(t, err, "ListTags kept")
	deepEqual(t, "tags of the kept key", tags, []model.Tag{{Key: "team", Value: "b"}})
}
