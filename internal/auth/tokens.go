package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// TokenPrefix starts every authorization token wharf issues, so a leaked one is
// recognisable (and scannable) as a wharf token.
const TokenPrefix = "wharf_"

// tokenLen is the length of a token: the prefix and 32 random bytes in unpadded
// base64url.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// TokenStore keeps issued tokens by the hex SHA-256 of the token; an unknown hash
// is apperr.NotFound. store.Store satisfies it.
type TokenStore interface {
	PutToken(ctx context.Context, t model.AuthToken) error
	GetToken(ctx context.Context, hash string) (model.AuthToken, error)
}

// Tokens issues and validates authorization tokens (GetAuthorizationToken). A
// token is 32 random bytes; only its hash is stored, so a copy of the store does
// not yield usable tokens.
type Tokens struct {
	Store TokenStore
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (t *Tokens) now() time.Time {
	if t.Now != nil {
		return t.Now().UTC()
	}
	return time.Now().UTC()
}

// Issue creates a token for principal p scoped to domain d — to this incarnation
// of it (d.CreatedAt), see model.AuthToken.DomainCreatedAt — valid for ttl.
// sessionTags are the tags of p's STS session (nil for long-term keys).
func (t *Tokens) Issue(ctx context.Context, p model.Principal, sessionTags map[string]string, d model.Domain, ttl time.Duration) (string, time.Time, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", time.Time{}, apperr.New(apperr.Internal, "generating authorization token").Wrap(err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	now := t.now()
	// AWS reports expiration in whole seconds; store what we report.
	expires := now.Add(ttl).Truncate(time.Second)
	err := t.Store.PutToken(ctx, model.AuthToken{
		Hash:            HashToken(token),
		Principal:       p,
		DomainOwner:     d.Owner,
		DomainName:      d.Name,
		DomainCreatedAt: d.CreatedAt,
		ExpiresAt:       expires,
		CreatedAt:       now,
		SessionTags:     sessionTags,
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return token, expires, nil
}

// Validate returns the stored token for token. Malformed, unknown and expired
// tokens are apperr.Unauthenticated; a failing store is returned as is. The caller
// checks that the token's domain is the one being accessed (CheckDomain).
func (t *Tokens) Validate(ctx context.Context, token string) (model.AuthToken, error) {
	if len(token) != tokenLen || !strings.HasPrefix(token, TokenPrefix) {
		return model.AuthToken{}, apperr.New(apperr.Unauthenticated, "the authorization token is not a valid wharf token")
	}
	// The connection's last valid token (connmemo.go) needs no hash and no
	// lookup; its expiry is checked below like any other.
	memo := connMemoOf(ctx)
	var at model.AuthToken
	if c := memo.lastFor(token); c != nil {
		at = c.at
	} else {
		var err error
		at, err = t.Store.GetToken(ctx, HashToken(token))
		if err != nil {
			if apperr.Is(err, apperr.NotFound) {
				return model.AuthToken{}, apperr.New(apperr.Unauthenticated, "the authorization token is not valid")
			}
			return model.AuthToken{}, err
		}
		if memo != nil {
			memo.last.Store(&connToken{token: token, at: at})
		}
	}
	if !t.now().Before(at.ExpiresAt) {
		return model.AuthToken{}, apperr.New(apperr.Unauthenticated, "the authorization token expired at %s; request a new one with GetAuthorizationToken",
			at.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return at, nil
}

// CheckDomain refuses a token used on a domain other than the one it was issued
// for: another name or owner, or a domain of the same name created again after
// the token's domain was deleted (another incarnation).
func CheckDomain(at model.AuthToken, d model.Domain) error {
	if at.DomainName != d.Name || at.DomainOwner != d.Owner {
		return apperr.New(apperr.Unauthenticated, "the authorization token was issued for domain %s (owner %s), not %s", at.DomainName, at.DomainOwner, d.Name)
	}
	if !at.DomainCreatedAt.Equal(d.CreatedAt) {
		return apperr.New(apperr.Unauthenticated, "the authorization token was issued for an earlier domain named %s, deleted since; request a new one with GetAuthorizationToken", d.Name)
	}
	return nil
}

// HashToken is the hex SHA-256 under which a token is stored (model.AuthToken.Hash).
//
// Every package request hashes its token: a token of the issued length is
// copied and hex-encoded on the stack, so the hex string is the one
// allocation ([]byte(token) and hex.EncodeToString cost two more).
func HashToken(token string) string {
	var in [64]byte
	var sum [sha256.Size]byte
	if len(token) <= len(in) {
		sum = sha256.Sum256(in[:copy(in[:], token)])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// TokenFromRequest extracts an authorization token from the Authorization header,
// in the three shapes package clients send it: "Bearer T" (npm, cargo, nuget),
// "Basic base64(user:T)" with any user name (pip, twine, maven, gradle), and a bare
// "T" (cargo with a plain token). Without an Authorization header, the
// X-NuGet-ApiKey header NuGet clients send on push carries it (`dotnet nuget
// push --api-key TOKEN`).
func TokenFromRequest(r *http.Request) (string, bool) {
	v := strings.TrimSpace(r.Header.Get("Authorization"))
	if v == "" {
		k := strings.TrimSpace(r.Header.Get("X-NuGet-ApiKey"))
		return k, k != ""
	}
	scheme, rest, hasSpace := strings.Cut(v, " ")
	if !hasSpace {
		// A scheme with nothing after it is not a token.
		if strings.EqualFold(v, "Bearer") || strings.EqualFold(v, "Basic") {
			return "", false
		}
		return v, true
	}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return rest, rest != ""
	case strings.EqualFold(scheme, "Basic"):
		dec, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", false
		}
		_, pass, ok := strings.Cut(string(dec), ":")
		return pass, ok && pass != ""
	}
	return "", false
}
