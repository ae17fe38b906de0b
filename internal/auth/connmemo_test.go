package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// countingTokens counts the token lookups that reach the store.
type countingTokens struct {
	fakeTokens
	gets atomic.Int64
}

func (c *countingTokens) GetToken(ctx context.Context, hash string) (model.AuthToken, error) {
	c.gets.Add(1)
	return c.fakeTokens.GetToken(ctx, hash)
}

// On one connection a token validates from the store once; the next requests
// answer the same from the memo, an expired token is refused from it as from
// the store, another token (or a malformed or unknown one) is looked up or
// refused as without it, and another connection has its own memo.
func TestConnMemo(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	st := &countingTokens{}
	tk := &Tokens{Store: st, Now: func() time.Time { return now }}
	bg := context.Background()
	tokA, _, err := tk.Issue(bg, testUser, nil, testDomain, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tokB, _, err := tk.Issue(bg, testUser, nil, testDomain, 2*time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	conn := WithConnMemo(bg)
	first, err := tk.Validate(conn, tokA)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		at, err := tk.Validate(conn, tokA)
		if err != nil || at.Hash != first.Hash || at.Principal != first.Principal || !at.ExpiresAt.Equal(first.ExpiresAt) {
			t.Fatalf("from the memo: %+v, %v; want %+v", at, err, first)
		}
	}
	if n := st.gets.Load(); n != 1 {
		t.Fatalf("%d store lookups for one token on one connection, want 1", n)
	}

	// Another token on the same connection is looked up, and replaces A.
	if _, err := tk.Validate(conn, tokB); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Validate(conn, tokA); err != nil {
		t.Fatal(err)
	}
	if n := st.gets.Load(); n != 3 {
		t.Fatalf("%d store lookups after switching tokens, want 3", n)
	}

	// A malformed or unknown token is refused as ever, and does not
	// displace the memo's.
	if _, err := tk.Validate(conn, "wharf_nope"); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("malformed token: %v", err)
	}
	unknown := TokenPrefix + tokA[len(TokenPrefix)+1:] + "x"
	if _, err := tk.Validate(conn, unknown); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("unknown token: %v", err)
	}
	before := st.gets.Load()
	if _, err := tk.Validate(conn, tokA); err != nil || st.gets.Load() != before {
		t.Fatalf("after refusals the memo lost A: %v, %d lookups", err, st.gets.Load()-before)
	}

	// Expiry is checked on every request, memo or not.
	now = now.Add(time.Hour)
	if _, err := tk.Validate(conn, tokA); !apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("expired token from the memo: %v", err)
	}

	// Another connection, and a context without a memo, look it up.
	before = st.gets.Load()
	if _, err := tk.Validate(WithConnMemo(bg), tokB); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Validate(bg, tokB); err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Validate(bg, tokB); err != nil {
		t.Fatal(err)
	}
	if n := st.gets.Load() - before; n != 3 {
		t.Fatalf("%d lookups on a new connection and twice without a memo, want 3", n)
	}
}
