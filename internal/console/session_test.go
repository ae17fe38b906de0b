package console

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

type keyMap map[string]model.AccessKey

func (k keyMap) GetAccessKey(_ context.Context, id string) (model.AccessKey, error) {
	if a, ok := k[id]; ok {
		return a, nil
	}
	return model.AccessKey{}, errors.New("not found")
}

func TestSessions(t *testing.T) {
	keys := keyMap{"AKIA1": {AccessKeyID: "AKIA1", SecretAccessKey: "s3cret", Principal: model.Principal{ARN: "arn:aws:iam::111122223333:user/u"}}}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, _, err := signIn(context.Background(), keys, "AKIA1", "wrong", now); err == nil {
		t.Fatal("wrong secret accepted")
	}
	if _, _, err := signIn(context.Background(), keys, "AKIA9", "s3cret", now); err == nil {
		t.Fatal("unknown key accepted")
	}
	cookie, _, err := signIn(context.Background(), keys, "AKIA1", "s3cret", now)
	if err != nil || !cookie.HttpOnly || strings.Contains(cookie.Value, "s3cret") {
		t.Fatalf("cookie %+v %v", cookie, err)
	}
	with := func(v string) (model.Principal, bool) {
		r := httptest.NewRequest("GET", "/console/", nil)
		r.Header.Set("Cookie", cookieName+"="+v)
		return session(r, keys, now.Add(time.Hour))
	}
	if p, ok := with(cookie.Value); !ok || p.ARN != "arn:aws:iam::111122223333:user/u" {
		t.Fatalf("valid session refused: %v %v", p, ok)
	}
	parts := strings.Split(cookie.Value, ".")
	for name, v := range map[string]string{
		"tampered signature": parts[0] + "." + parts[1] + "." + strings.Repeat("0", len(parts[2])),
		"extended expiry":    parts[0] + ".9999999999." + parts[2],
		"other key":          "AKIA9." + parts[1] + "." + parts[2],
		"garbage":            "x",
	} {
		if _, ok := with(v); ok {
			t.Errorf("%s accepted", name)
		}
	}
	r := httptest.NewRequest("GET", "/console/", nil)
	r.AddCookie(cookie)
	if _, ok := session(r, keys, now.Add(sessionTTL+time.Second)); ok {
		t.Error("expired session accepted")
	}
	// A rotated secret ends the session.
	keys["AKIA1"] = model.AccessKey{AccessKeyID: "AKIA1", SecretAccessKey: "new", Principal: keys["AKIA1"].Principal}
	if _, ok := with(cookie.Value); ok {
		t.Error("session outlived its key's secret")
	}
}
