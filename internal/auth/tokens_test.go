package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

type fakeTokens struct {
	mu sync.Mutex
	m  map[string]model.AuthToken
}

func (f *fakeTokens) PutToken(_ context.Context, t model.AuthToken) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]model.AuthToken{}
	}
	f.m[t.Hash] = t
	return nil
}

func (f *fakeTokens) GetToken(_ context.Context, hash string) (model.AuthToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.m[hash]
	if !ok {
		return model.AuthToken{}, apperr.NotFoundf("token", hash, "no token")
	}
	return t, nil
}

var testDomain = model.Domain{Owner: "111122223333", Name: "my-domain", CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)}

func TestCheckDomainBindsTheIncarnation(t *testing.T) {
	at := model.AuthToken{DomainOwner: testDomain.Owner, DomainName: testDomain.Name, DomainCreatedAt: testDomain.CreatedAt}
	if err := CheckDomain(at, testDomain); err != nil {
		t.Fatalf("same domain: %v", err)
	}
	again := testDomain
	again.CreatedAt = testDomain.CreatedAt.Add(time.Millisecond)
	other := testDomain
	other.Name = "other"
	legacy := at
	legacy.DomainCreatedAt = time.Time{}
	for name, c := range map[string]struct {
		at model.AuthToken
		d  model.Domain
	}{"re-created domain": {at, again}, "other domain": {at, other}, "token without incarnation": {legacy, testDomain}} {
		if err := CheckDomain(c.at, c.d); !apperr.Is(err, apperr.Unauthenticated) {
			t.Errorf("%s: %v, want Unauthenticated", name, err)
		}
	}
}

func TestTokensIssueAndValidate(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 4, 5, 6, 7, 500, time.UTC)
	store := &fakeTokens{}
	tk := &Tokens{Store: store, Now: func() time.Time { return now }}

	tok, exp, err := tk.Issue(ctx, testUser, nil, testDomain, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, TokenPrefix) || len(tok) != len(TokenPrefix)+43 {
		t.Fatalf("token %q: want %s + 43 base64url characters", tok, TokenPrefix)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tok, TokenPrefix)); err != nil || len(raw) != 32 {
		t.Fatalf("token body is not 32 bytes of base64url: %v", err)
	}
	if want := now.Add(12 * time.Hour).Truncate(time.Second); !exp.Equal(want) {
		t.Fatalf("expires %v, want %v", exp, want)
	}
	// Only the hash is stored.
	for h, at := range store.m {
		if h != HashToken(tok) || at.Hash != h || strings.Contains(h, strings.TrimPrefix(tok, TokenPrefix)) {
			t.Fatalf("stored %q for token", h)
		}
	}

	at, err := tk.Validate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	if at.Principal != testUser || at.DomainOwner != "111122223333" || at.DomainName != "my-domain" || !at.ExpiresAt.Equal(exp) ||
		!at.DomainCreatedAt.Equal(testDomain.CreatedAt) {
		t.Fatalf("validated %+v", at)
	}

	tok2, _, _ := tk.Issue(ctx, testUser, nil, testDomain, time.Hour)
	if tok2 == tok {
		t.Fatal("two issues gave the same token")
	}

	// A token differing in one character, a foreign string, and an empty one.
	forged := tok[:len(tok)-1] + "A"
	if tok[len(tok)-1] == 'A' {
		forged = tok[:len(tok)-1] + "B"
	}
	for _, bad := range []string{forged, "eyJ2ZXIiOjEsImlzdSI6MTY4", "", TokenPrefix} {
		if _, err := tk.Validate(ctx, bad); !apperr.Is(err, apperr.Unauthenticated) {
			t.Fatalf("Validate(%q) = %v, want Unauthenticated", bad, err)
		}
	}

	// Expiry: valid one second before, refused at the instant.
	now = exp.Add(-time.Second)
	if _, err := tk.Validate(ctx, tok); err != nil {
		t.Fatalf("just before expiry: %v", err)
	}
	now = exp
	_, err = tk.Validate(ctx, tok)
	if !apperr.Is(err, apperr.Unauthenticated) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("at expiry: %v", err)
	}
}

type brokenTokens struct{ fakeTokens }

var errTokensDown = errors.New("tokens down")

func (*brokenTokens) GetToken(context.Context, string) (model.AuthToken, error) {
	return model.AuthToken{}, errTokensDown
}

func TestTokensStoreFailureIsNotUnauthenticated(t *testing.T) {
	tk := &Tokens{Store: &brokenTokens{}}
	tok, _, err := tk.Issue(context.Background(), testUser, nil, model.Domain{Owner: "111122223333", Name: "d"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tk.Validate(context.Background(), tok); !errors.Is(err, errTokensDown) {
		t.Fatalf("Validate = %v, want the store's error", err)
	}
}

func TestTokenFromRequest(t *testing.T) {
	const tok = "wharf_abcDEF-_123"
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer " + tok, tok, true},
		{"bearer  " + tok + " ", tok, true},
		{basic("aws:" + tok), tok, true},
		{basic("anyone-at-all:" + tok), tok, true},
		{basic(":" + tok), tok, true},
		{tok, tok, true}, // cargo
		{"", "", false},
		{"Bearer ", "", false},
		{"Basic", "", false},
		{basic("aws"), "", false},
		{basic("aws:"), "", false},
		{"Basic !!!notbase64", "", false},
		{"AWS4-HMAC-SHA256 Credential=x/y", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		got, ok := TokenFromRequest(r)
		if got != c.want || ok != c.ok {
			t.Errorf("TokenFromRequest(%q) = %q, %v; want %q, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

// HashToken is the hex SHA-256 of the token, whatever its length (the stack
// copy holds 64 bytes; longer input takes the other branch).
func TestHashTokenIsHexSHA256(t *testing.T) {
	for _, tok := range []string{"", "x", "wharf_" + strings.Repeat("A", 43), strings.Repeat("b", 64), strings.Repeat("c", 65), strings.Repeat("d", 1000)} {
		sum := sha256.Sum256([]byte(tok))
		if got, want := HashToken(tok), hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("HashToken of %d bytes = %s, want %s", len(tok), got, want)
		}
	}
}
