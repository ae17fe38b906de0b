package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // IAM's OIDC thumbprints are SHA-1 fingerprints by definition
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/policy"
)

// STS error codes.
const (
	CodeAccessDenied         = "AccessDenied"
	CodeInvalidIdentityToken = "InvalidIdentityToken"
	CodeExpiredToken         = "ExpiredTokenException"
	CodeIDPCommunication     = "IDPCommunicationError"
	MinSessionDuration       = 900
)

// Credentials are an STS session's temporary credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	AssumedRoleID, AssumedRoleARN              string
}

// WebIdentity is what AssumeRoleWithWebIdentity learned from the token.
type WebIdentity struct {
	Subject, Audience, Provider string
}

var sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// STS issues session credentials for roles.
type STS struct {
	IAM *Service
	// HTTPClient reaches OIDC issuers; nil means a client with a 10s timeout
	// that trusts the system roots or a registered thumbprint.
	HTTPClient *http.Client

	mu        sync.Mutex
	verifiers map[string]*oidc.IDTokenVerifier // by issuer + thumbprints
}

func stsDenied(format string, args ...any) error {
	return apperr.New(apperr.AccessDenied, format, args...).WithReason(CodeAccessDenied)
}

func invalidToken(format string, args ...any) error {
	return apperr.New(apperr.Validation, format, args...).WithReason(CodeInvalidIdentityToken)
}

// roleFor resolves a role ARN and checks the session parameters against it.
func (s *STS) roleFor(ctx context.Context, roleARN, sessionName string, duration int) (Role, int, error) {
	if !sessionNameRe.MatchString(sessionName) {
		return Role{}, 0, validation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", sessionName)
	}
	a, err := model.ParseARN(roleARN)
	if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || len(roleARN) < 20 {
		return Role{}, 0, validation("%s is invalid", roleARN)
	}
	r, err := s.IAM.GetRole(ctx, a.Account, a.Resource[strings.LastIndexByte(a.Resource, '/')+1:])
	if err != nil || r.Arn != roleARN {
		return Role{}, 0, errNoRole
	}
	if duration == 0 {
		duration = DefaultMaxSession
	}
	if duration < MinSessionDuration {
		return Role{}, 0, validation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", duration)
	}
	if duration > r.MaxSessionDuration {
		return Role{}, 0, validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	return r, duration, nil
}

var errNoRole = errors.New("no such role")

// AssumeRole issues credentials for roleARN to caller when the role's trust
// policy and (by IAM's rules) the caller's identity policies allow
// sts:AssumeRole, and sts:TagSession when tags are passed.
func (s *STS) AssumeRole(ctx context.Context, caller policy.Identity, roleARN, sessionName string, duration int, tags map[string]string) (Credentials, error) {
	denied := func() error {
		return stsDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.Principal.ARN, roleARN)
	}
	r, duration, err := s.roleFor(ctx, roleARN, sessionName, duration)
	if errors.Is(err, errNoRole) {
		return Credentials{}, denied()
	}
	if err != nil {
		return Credentials{}, err
	}
	trust, err := policy.Parse(r.AssumeRolePolicyDocument)
	if err != nil {
		return Credentials{}, denied()
	}
	owner := r.Arn[len("arn:aws:iam::") : len("arn:aws:iam::")+12]
	actions := []string{"sts:AssumeRole"}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	for _, action := range actions {
		if res := policy.Decide(policy.Input{Identity: caller, Action: action, Resource: r.Arn, ResourceOwner: owner,
			ResourcePolicies: []*policy.Policy{trust}, ResourcePolicyRequired: true}); !res.Allowed {
			return Credentials{}, denied()
		}
	}
	// Role chaining: a session assuming a role gets at most an hour, as in AWS.
	if strings.Contains(caller.Principal.ARN, ":assumed-role/") && duration > 3600 {
		return Credentials{}, validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	return s.issue(ctx, owner, r, sessionName, duration, tags)
}

// AssumeRoleWithWebIdentity verifies a JWT against the OIDC provider
// registered for its issuer in the role's account (signature by the issuer's
// JWKS, expiry, audience among the provider's client ids, TLS thumbprint), then
// evaluates the role's trust policy for the provider as a Federated principal
// with the token's claims as condition keys (HOST/PATH:sub, :aud, :amr, :azp).
func (s *STS) AssumeRoleWithWebIdentity(ctx context.Context, roleARN, sessionName, token string, duration int) (Credentials, WebIdentity, error) {
	denied := stsDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	if len(token) < 4 || len(token) > 20000 {
		return Credentials{}, WebIdentity{}, validation("WebIdentityToken must be 4-20000 characters")
	}
	r, duration, err := s.roleFor(ctx, roleARN, sessionName, duration)
	if errors.Is(err, errNoRole) {
		return Credentials{}, WebIdentity{}, denied
	}
	if err != nil {
		return Credentials{}, WebIdentity{}, err
	}
	owner := r.Arn[len("arn:aws:iam::") : len("arn:aws:iam::")+12]
	claims, err := unverifiedClaims(token)
	if err != nil {
		return Credentials{}, WebIdentity{}, invalidToken("Couldn't parse the web identity token: %v", err)
	}
	provider, err := s.IAM.FindOIDCProvider(ctx, owner, claims.Issuer)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return Credentials{}, WebIdentity{}, invalidToken("No OpenIDConnect provider found in your account for %s", claims.Issuer)
		}
		return Credentials{}, WebIdentity{}, err
	}
	v, err := s.verifier(ctx, claims.Issuer, provider.ThumbprintList)
	if err != nil {
		return Credentials{}, WebIdentity{}, apperr.New(apperr.Validation, "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements: %v", err).WithReason(CodeIDPCommunication)
	}
	idt, err := v.Verify(ctx, token)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Credentials{}, WebIdentity{}, apperr.New(apperr.Validation, "Token expired: current date/time %s must be before the expiration date/time %s",
				time.Now().UTC().Format(time.RFC3339), expired.Expiry.UTC().Format(time.RFC3339)).WithReason(CodeExpiredToken)
		}
		return Credentials{}, WebIdentity{}, invalidToken("The web identity token could not be verified: %v", err)
	}
	aud := ""
	for _, a := range idt.Audience {
		for _, c := range provider.ClientIDList {
			if a == c {
				aud = a
			}
		}
	}
	if aud == "" {
		return Credentials{}, WebIdentity{}, invalidToken("Incorrect token audience")
	}
	key := oidcKey(provider.URL)
	ctxKeys := map[string][]string{key + ":sub": {idt.Subject}, key + ":aud": {aud}}
	if claims.Azp != "" {
		ctxKeys[key+":azp"] = []string{claims.Azp}
	}
	if len(claims.Amr) > 0 {
		ctxKeys[key+":amr"] = claims.Amr
	}
	trust, err := policy.Parse(r.AssumeRolePolicyDocument)
	if err != nil || !policy.Trusts(trust, provider.Arn, "sts:AssumeRoleWithWebIdentity", r.Arn, ctxKeys) {
		return Credentials{}, WebIdentity{}, denied
	}
	creds, err := s.issue(ctx, owner, r, sessionName, duration, nil)
	return creds, WebIdentity{Subject: idt.Subject, Audience: aud, Provider: provider.Arn}, err
}

type jwtClaims struct {
	Issuer string   `json:"iss"`
	Azp    string   `json:"azp"`
	Amr    []string `json:"amr"`
}

// unverifiedClaims reads the issuer of a compact JWS, only to find which
// provider must verify it.
func unverifiedClaims(token string) (jwtClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return jwtClaims{}, errors.New("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return jwtClaims{}, err
	}
	var c jwtClaims
	if err := json.Unmarshal(b, &c); err != nil {
		return jwtClaims{}, err
	}
	if c.Issuer == "" {
		return jwtClaims{}, errors.New("no iss claim")
	}
	return c, nil
}

// verifier returns a cached token verifier for an issuer: go-oidc fetches the
// discovery document once and the JWKS when it meets an unknown key id, and
// keeps the keys.
func (s *STS) verifier(ctx context.Context, issuer string, thumbprints []string) (*oidc.IDTokenVerifier, error) {
	cacheKey := issuer + "|" + strings.ToLower(strings.Join(thumbprints, ","))
	s.mu.Lock()
	v, ok := s.verifiers[cacheKey]
	s.mu.Unlock()
	if ok {
		return v, nil
	}
	client := s.HTTPClient
	if client == nil {
		client = thumbprintClient(thumbprints)
	}
	// The provider keeps using this context for JWKS fetches: it must outlive
	// the request.
	pctx := oidc.ClientContext(context.WithoutCancel(ctx), client)
	dctx, cancel := context.WithTimeout(pctx, 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		return nil, err
	}
	keys := oidc.NewRemoteKeySet(pctx, jwksURL(p))
	v = oidc.NewVerifier(issuer, keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}})
	s.mu.Lock()
	if s.verifiers == nil {
		s.verifiers = map[string]*oidc.IDTokenVerifier{}
	}
	s.verifiers[cacheKey] = v
	s.mu.Unlock()
	return v, nil
}

func jwksURL(p *oidc.Provider) string {
	var c struct {
		JWKS string `json:"jwks_uri"`
	}
	_ = p.Claims(&c)
	return c.JWKS
}

// thumbprintClient trusts a TLS server whose chain verifies against the
// system roots, or one of whose certificates has a registered SHA-1
// thumbprint (what IAM's ThumbprintList pins).
func thumbprintClient(thumbprints []string) *http.Client {
	pins := map[string]bool{}
	for _, t := range thumbprints {
		pins[strings.ToLower(t)] = true
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verified below: system roots or a pinned thumbprint
		VerifyConnection: func(cs tls.ConnectionState) error {
			for _, c := range cs.PeerCertificates {
				sum := sha1.Sum(c.Raw) //nolint:gosec // thumbprints are SHA-1
				if pins[hex.EncodeToString(sum[:])] {
					return nil
				}
			}
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no server certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: cs.ServerName, Intermediates: inter})
			return err
		},
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// issue mints and stores session credentials.
func (s *STS) issue(ctx context.Context, account string, r Role, sessionName string, duration int, tags map[string]string) (Credentials, error) {
	id, secret, token, err := sessionSecrets()
	if err != nil {
		return Credentials{}, err
	}
	now := s.IAM.now()
	sum := sha256.Sum256([]byte(token))
	k := model.AccessKey{
		AccessKeyID: id, SecretAccessKey: secret,
		Principal: model.Principal{Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/" + r.RoleName + "/" + sessionName,
			UserID: r.RoleID + ":" + sessionName},
		CreatedAt: now, Status: "Active", SessionTokenHash: hex.EncodeToString(sum[:]), RoleARN: r.Arn, SessionTags: tags,
		ExpiresAt: now.Add(time.Duration(duration) * time.Second),
	}
	if err := s.IAM.Store.PutAccessKey(ctx, k); err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Expiration: k.ExpiresAt,
		AssumedRoleID: k.Principal.UserID, AssumedRoleARN: k.Principal.ARN}, nil
}

func sessionSecrets() (id, secret, token string, err error) {
	b := make([]byte, 16+30+192)
	if _, err = rand.Read(b); err != nil {
		return "", "", "", fmt.Errorf("sts: random: %w", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	idb := make([]byte, 16)
	for i := range idb {
		idb[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "ASIA" + string(idb), base64.RawStdEncoding.EncodeToString(b[16:46]), base64.StdEncoding.EncodeToString(b[46:]), nil
}
