package auth

import (
	"context"
	"testing"
)

func TestUserPrincipalAndNewAccessKey(t *testing.T) {
	p, err := UserPrincipal("111122223333", "ci-publisher")
	if err != nil {
		t.Fatal(err)
	}
	if p.ARN != "arn:aws:iam::111122223333:user/ci-publisher" || p.Account != "111122223333" || len(p.UserID) != 20 {
		t.Fatalf("principal %+v", p)
	}
	again, _ := UserPrincipal("111122223333", "ci-publisher")
	other, _ := UserPrincipal("111122223333", "reader")
	if again.UserID != p.UserID || other.UserID == p.UserID {
		t.Fatalf("user ids not stable per name: %s %s %s", p.UserID, again.UserID, other.UserID)
	}
	for _, bad := range [][2]string{{"1234", "x"}, {"111122223333", ""}, {"111122223333", "a/b"}} {
		if _, err := UserPrincipal(bad[0], bad[1]); err == nil {
			t.Errorf("UserPrincipal(%q, %q) accepted", bad[0], bad[1])
		}
	}
	keys := newFakeKeys()
	k, err := NewAccessKey(context.Background(), keys, p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := keys.GetAccessKey(context.Background(), k.AccessKeyID)
	if err != nil || got.SecretAccessKey != k.SecretAccessKey || got.Principal != p {
		t.Fatalf("stored key %+v, %v", got, err)
	}
}
