// Package oidctest runs an OpenID Connect issuer on loopback for tests of
// AssumeRoleWithWebIdentity: a CI system's issuer (as GitHub Actions runs
// one), over TLS as IAM requires, trusted by its certificate's thumbprint,
// serving its discovery document and JWKS, and signing the tokens it hands to
// jobs.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // IAM's OIDC thumbprints are SHA-1 by definition
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is a running issuer. URL is its https:// address (the provider URL
// and the tokens' iss); Thumbprint the hex SHA-1 of its certificate.
type Issuer struct {
	URL        string
	Thumbprint string
	key        *rsa.PrivateKey
	jwksHits   atomic.Int64
}

const keyID = "ci"

// Start starts an issuer, stopped when the test ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/jwks",
			"id_token_signing_alg_values_supported": []string{"RS256"}, "response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"}})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: keyID, Algorithm: "RS256", Use: "sig"}}})
	})
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	is.URL = srv.URL
	sum := sha1.Sum(srv.Certificate().Raw) //nolint:gosec
	is.Thumbprint = hex.EncodeToString(sum[:])
	return is
}

// JWKSHits is how many times the JWKS was fetched (verifiers should cache it).
func (is *Issuer) JWKSHits() int64 { return is.jwksHits.Load() }

// Token signs a token with any issuer, subject, audience and expiry (iat a
// minute ago), for the refusal cases as much as the good one.
func (is *Issuer) Token(t testing.TB, iss, sub, aud string, exp time.Time) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: is.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: iss, Subject: sub, Audience: jwt.Audience{aud},
		IssuedAt: jwt.NewNumericDate(time.Now().Add(-time.Minute)), Expiry: jwt.NewNumericDate(exp)}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// JobToken is what the CI hands a job: this issuer's token for subject sub
// and audience aud, valid for ten minutes.
func (is *Issuer) JobToken(t testing.TB, sub, aud string) string {
	t.Helper()
	return is.Token(t, is.URL, sub, aud, time.Now().Add(10*time.Minute))
}
