package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

func testAccessKeys(t *testing.T, s store.Store) {
	_, err := s.GetAccessKey(ctx(t), "AKIAMISSING")
	wantKind(t, err, apperr.NotFound, "GetAccessKey missing")

	k := model.AccessKey{
		AccessKeyID: "AKIA0000000000000001", SecretAccessKey: "secret-1",
		Principal: model.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":user/alice", UserID: "AIDAALICE"},
		CreatedAt: t0, Status: "Active",
	}
	ok(t, s.PutAccessKey(ctx(t), k), "PutAccessKey")
	got, err := s.GetAccessKey(ctx(t), k.AccessKeyID)
	ok(t, err, "GetAccessKey")
	checkTime(t, "AccessKey.CreatedAt", got.CreatedAt, k.CreatedAt)
	got.CreatedAt, k.CreatedAt = time.Time{}, time.Time{}
	deepEqual(t, "GetAccessKey", got, k)

	k2 := k
	k2.AccessKeyID = "AKIA0000000000000000"
	ok(t, s.PutAccessKey(ctx(t), k2), "PutAccessKey second")
	ids, err := s.ListAccessKeyIDs(ctx(t))
	ok(t, err, "ListAccessKeyIDs")
	deepEqual(t, "ListAccessKeyIDs", ids, []string{k2.AccessKeyID, k.AccessKeyID})

	// Put replaces; a zero time stays zero.
	k.SecretAccessKey = "secret-2"
	ok(t, s.PutAccessKey(ctx(t), k), "PutAccessKey again")
	got, err = s.GetAccessKey(ctx(t), k.AccessKeyID)
	ok(t, err, "GetAccessKey after overwrite")
	deepEqual(t, "GetAccessKey after overwrite", got, k)
}

func testTokens(t *testing.T, s store.Store) {
	_, err := s.GetToken(ctx(t), "nohash")
	wantKind(t, err, apperr.NotFound, "GetToken missing")

	tok := model.AuthToken{
		Hash:        "ab12",
		Principal:   model.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":root", UserID: owner},
		DomainOwner: owner, DomainName: "d", DomainCreatedAt: t0.Add(-time.Hour),
		ExpiresAt: t0.Add(12 * time.Hour), CreatedAt: t0,
		SessionTags: map[string]string{"team": "payments", "Project": "ledger"},
	}
	ok(t, s.PutToken(ctx(t), tok), "PutToken")
	ok(t, s.PutToken(ctx(t), model.AuthToken{Hash: "cd34", DomainOwner: other, DomainName: "e", ExpiresAt: t0}), "PutToken other")
	got, err := s.GetToken(ctx(t), tok.Hash)
	ok(t, err, "GetToken")
	checkTime(t, "AuthToken.ExpiresAt", got.ExpiresAt, tok.ExpiresAt)
	checkTime(t, "AuthToken.CreatedAt", got.CreatedAt, tok.CreatedAt)
	checkTime(t, "AuthToken.DomainCreatedAt", got.DomainCreatedAt, tok.DomainCreatedAt)
	got.ExpiresAt, got.CreatedAt, got.DomainCreatedAt = time.Time{}, time.Time{}, time.Time{}
	want := tok
	want.ExpiresAt, want.CreatedAt, want.DomainCreatedAt = time.Time{}, time.Time{}, time.Time{}
	deepEqual(t, "GetToken", got, want)
}

func testExpiredTokensPurge(t *testing.T, s store.Store) {
	// Five expired (at t0-1h .. t0-5h), one expiring exactly at t0, two live.
	var hashes []string
	put := func(h string, exp time.Time) {
		ok(t, s.PutToken(ctx(t), model.AuthToken{Hash: h, DomainOwner: owner, DomainName: "d", ExpiresAt: exp, CreatedAt: t0.Add(-24 * time.Hour)}), "PutToken "+h)
		hashes = append(hashes, h)
	}
	for i := 1; i <= 5; i++ {
		put(fmt.Sprintf("expired-%d", i), t0.Add(-time.Duration(i)*time.Hour))
	}
	put("expires-now", t0)
	put("live-1", t0.Add(time.Second))
	put("live-2", t0.Add(12*time.Hour))

	// Bounded: at most limit per call, until none is left.
	n, err := s.DeleteExpiredTokens(ctx(t), t0, 4)
	ok(t, err, "DeleteExpiredTokens")
	if n != 4 {
		t.Fatalf("first purge deleted %d, want 4 (the limit)", n)
	}
	n, err = s.DeleteExpiredTokens(ctx(t), t0, 4)
	ok(t, err, "DeleteExpiredTokens again")
	if n != 2 {
		t.Fatalf("second purge deleted %d, want the 2 left", n)
	}
	n, err = s.DeleteExpiredTokens(ctx(t), t0, 4)
	ok(t, err, "DeleteExpiredTokens when none is expired")
	if n != 0 {
		t.Fatalf("third purge deleted %d, want 0", n)
	}
	for _, h := range hashes {
		_, err := s.GetToken(ctx(t), h)
		if strings.HasPrefix(h, "live-") {
			ok(t, err, "GetToken "+h)
		} else {
			wantKind(t, err, apperr.NotFound, "GetToken purged "+h)
		}
	}
}

func testCache(t *testing.T, s store.Store) {
	_, err := s.GetCache(ctx(t), "npm|public:npmjs|left-pad")
	wantKind(t, err, apperr.NotFound, "GetCache missing")

	e := model.CacheEntry{Key: "npm|public:npmjs|left-pad", Body: []byte(`{"name":"left-pad"}`), ETag: `"v1"`, Status: 200, FetchedAt: t0}
	ok(t, s.PutCache(ctx(t), e), "PutCache")
	got, err := s.GetCache(ctx(t), e.Key)
	ok(t, err, "GetCache")
	checkTime(t, "CacheEntry.FetchedAt", got.FetchedAt, e.FetchedAt)
	if got.Key != e.Key || string(got.Body) != string(e.Body) || got.ETag != e.ETag || got.Status != e.Status {
		t.Errorf("GetCache = %+v, want %+v", got, e)
	}

	// Overwrite with a negative entry: no body, status 404.
	neg := model.CacheEntry{Key: e.Key, Status: 404, FetchedAt: t0.Add(time.Minute)}
	ok(t, s.PutCache(ctx(t), neg), "PutCache overwrite")
	got, err = s.GetCache(ctx(t), e.Key)
	ok(t, err, "GetCache after overwrite")
	if got.Status != 404 || len(got.Body) != 0 || got.ETag != "" {
		t.Errorf("GetCache after overwrite = %+v, want the negative entry", got)
	}
	checkTime(t, "CacheEntry.FetchedAt after overwrite", got.FetchedAt, neg.FetchedAt)

	// Binary bodies survive untouched.
	bin := model.CacheEntry{Key: "bin", Body: []byte{0, 1, 2, 0xff, 0}, Status: 200, FetchedAt: t0}
	ok(t, s.PutCache(ctx(t), bin), "PutCache binary")
	got, err = s.GetCache(ctx(t), "bin")
	ok(t, err, "GetCache binary")
	deepEqual(t, "binary body", got.Body, bin.Body)
}

func testAccessKeyLifecycle(t *testing.T, s store.Store) {
	alice := model.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":user/alice", UserID: "AIDAALICE"}
	k1 := model.AccessKey{AccessKeyID: "AKIA00000000000000A1", SecretAccessKey: "s1", Principal: alice, CreatedAt: t0}
	k2 := model.AccessKey{AccessKeyID: "AKIA00000000000000A2", SecretAccessKey: "s2", Principal: alice, CreatedAt: t0.Add(time.Second), Status: "Inactive"}
	other := model.AccessKey{AccessKeyID: "AKIA00000000000000B1", SecretAccessKey: "s3", Principal: model.Principal{Account: owner, ARN: "arn:aws:iam::" + owner + ":user/bob"}, CreatedAt: t0}
	for _, k := range []model.AccessKey{k2, k1, other} {
		ok(t, s.PutAccessKey(ctx(t), k), "PutAccessKey "+k.AccessKeyID)
	}
	got, err := s.ListAccessKeys(ctx(t), alice.ARN)
	ok(t, err, "ListAccessKeys")
	if len(got) != 2 || got[0].AccessKeyID != k1.AccessKeyID || got[1].AccessKeyID != k2.AccessKeyID {
		t.Fatalf("ListAccessKeys = %+v, want k1 then k2", got)
	}
	if got[0].Status != "Active" || got[0].Inactive() || got[1].Status != "Inactive" || !got[1].Inactive() {
		t.Errorf("statuses = %q, %q; want Active (the default), Inactive", got[0].Status, got[1].Status)
	}
	none, err := s.ListAccessKeys(ctx(t), "arn:aws:iam::"+owner+":user/nobody")
	ok(t, err, "ListAccessKeys nobody")
	if len(none) != 0 {
		t.Errorf("ListAccessKeys nobody = %v", none)
	}
	ok(t, s.DeleteAccessKey(ctx(t), k1.AccessKeyID), "DeleteAccessKey")
	_, err = s.GetAccessKey(ctx(t), k1.AccessKeyID)
	wantKind(t, err, apperr.NotFound, "GetAccessKey deleted")
	wantKind(t, s.DeleteAccessKey(ctx(t), k1.AccessKeyID), apperr.NotFound, "DeleteAccessKey twice")

	// A session key keeps its token hash, role, tags and expiry; expired
	// sessions go, long-term keys and live sessions stay.
	sess := model.AccessKey{
		AccessKeyID: "ASIA00000000000000S1", SecretAccessKey: "ss",
		Principal: model.Principal{Account: owner, ARN: "arn:aws:sts::" + owner + ":assumed-role/ci/run-1", UserID: "AROACI:run-1"},
		CreatedAt: t0, Status: "Active", SessionTokenHash: "abc123", RoleARN: "arn:aws:iam::" + owner + ":role/path/ci",
		SessionTags: map[string]string{"team": "platform"}, ExpiresAt: t0.Add(time.Hour),
	}
	live := sess
	live.AccessKeyID, live.ExpiresAt = "ASIA00000000000000S2", t0.Add(3*time.Hour)
	ok(t, s.PutAccessKey(ctx(t), sess), "PutAccessKey session")
	ok(t, s.PutAccessKey(ctx(t), live), "PutAccessKey live session")
	g, err := s.GetAccessKey(ctx(t), sess.AccessKeyID)
	ok(t, err, "GetAccessKey session")
	checkTime(t, "session ExpiresAt", g.ExpiresAt, sess.ExpiresAt)
	checkTime(t, "session CreatedAt", g.CreatedAt, sess.CreatedAt)
	g.ExpiresAt, g.CreatedAt = time.Time{}, time.Time{}
	want := sess
	want.ExpiresAt, want.CreatedAt = time.Time{}, time.Time{}
	deepEqual(t, "GetAccessKey session", g, want)
	n, err := s.DeleteExpiredSessions(ctx(t), t0.Add(2*time.Hour))
	ok(t, err, "DeleteExpiredSessions")
	if n != 1 {
		t.Errorf("DeleteExpiredSessions removed %d, want 1", n)
	}
	_, err = s.GetAccessKey(ctx(t), sess.AccessKeyID)
	wantKind(t, err, apperr.NotFound, "expired session")
	for _, id := range []string{live.AccessKeyID, k2.AccessKeyID, other.AccessKeyID} {
		_, err = s.GetAccessKey(ctx(t), id)
		ok(t, err, "kept "+id)
	}
}

func testIAMEntities(t *testing.T, s store.Store) {
	_, err := s.GetIAMEntity(ctx(t), owner, "role", "", "ci")
	wantKind(t, err, apperr.NotFound, "GetIAMEntity missing")
	wantKind(t, s.DeleteIAMEntity(ctx(t), owner, "role", "", "ci"), apperr.NotFound, "DeleteIAMEntity missing")

	role := model.IAMEntity{Account: owner, Kind: "role", Name: "CI", Body: []byte(`{"path":"/"}`), CreatedAt: t0}
	ok(t, s.CreateIAMEntity(ctx(t), role), "CreateIAMEntity")
	dup := role
	dup.Name = "ci" // IAM names are unique whatever their case
	wantKind(t, s.CreateIAMEntity(ctx(t), dup), apperr.Conflict, "CreateIAMEntity same name other case")
	// The same name in another account, kind or parent is another entity.
	for _, e := range []model.IAMEntity{
		{Account: other, Kind: "role", Name: "CI", Body: []byte(`{}`)},
		{Account: owner, Kind: "user", Name: "CI", Body: []byte(`{}`)},
		{Account: owner, Kind: "inline-policy", Parent: "role/CI", Name: "CI", Body: []byte(`{"doc":1}`)},
		{Account: owner, Kind: "inline-policy", Parent: "role/CI", Name: "alpha", Body: []byte(`{"doc":2}`)},
		{Account: owner, Kind: "inline-policy", Parent: "user/bob", Name: "beta", Body: []byte(`{"doc":3}`)},
	} {
		ok(t, s.CreateIAMEntity(ctx(t), e), "CreateIAMEntity "+e.Kind+" "+e.Parent+" "+e.Name)
	}
	got, err := s.GetIAMEntity(ctx(t), owner, "role", "", "ci")
	ok(t, err, "GetIAMEntity other case")
	checkTime(t, "IAMEntity.CreatedAt", got.CreatedAt, t0)
	if got.Name != "CI" || string(got.Body) != `{"path":"/"}` || got.Account != owner || got.Kind != "role" || got.Parent != "" {
		t.Errorf("GetIAMEntity = %+v", got)
	}

	list, err := s.ListIAMEntities(ctx(t), owner, "inline-policy", "role/CI")
	ok(t, err, "ListIAMEntities")
	if len(list) != 2 || list[0].Name != "alpha" || list[1].Name != "CI" {
		t.Errorf("ListIAMEntities role/CI = %+v, want alpha then CI", list)
	}
	all, err := s.ListIAMEntities(ctx(t), owner, "inline-policy", "*")
	ok(t, err, "ListIAMEntities *")
	if len(all) != 3 {
		t.Errorf("ListIAMEntities * = %d entities, want 3", len(all))
	}
	roles, err := s.ListIAMEntities(ctx(t), owner, "role", "")
	ok(t, err, "ListIAMEntities roles")
	if len(roles) != 1 {
		t.Errorf("ListIAMEntities roles of %s = %+v, want just CI", owner, roles)
	}

	// Put replaces (keeping one entity per case-insensitive name) or creates.
	role.Body, role.Name = []byte(`{"path":"/x/"}`), "ci"
	ok(t, s.PutIAMEntity(ctx(t), role), "PutIAMEntity replace")
	got, err = s.GetIAMEntity(ctx(t), owner, "role", "", "CI")
	ok(t, err, "GetIAMEntity after put")
	if string(got.Body) != `{"path":"/x/"}` {
		t.Errorf("body after put = %s", got.Body)
	}
	ok(t, s.PutIAMEntity(ctx(t), model.IAMEntity{Account: owner, Kind: "role", Name: "new", Body: []byte(`{}`)}), "PutIAMEntity create")
	roles, err = s.ListIAMEntities(ctx(t), owner, "role", "")
	ok(t, err, "ListIAMEntities roles after put")
	if len(roles) != 2 {
		t.Errorf("roles after put = %+v", roles)
	}

	ok(t, s.DeleteIAMEntity(ctx(t), owner, "role", "", "CI"), "DeleteIAMEntity")
	_, err = s.GetIAMEntity(ctx(t), owner, "role", "", "ci")
	wantKind(t, err, apperr.NotFound, "GetIAMEntity deleted")
	_, err = s.GetIAMEntity(ctx(t), other, "role", "", "CI")
	ok(t, err, "the other account's role stays")
}
