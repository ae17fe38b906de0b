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
		CreatedAt: t0,
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
