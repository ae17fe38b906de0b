package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// KeyLookup finds an access key by id; an unknown id is an apperr.NotFound error.
// store.Store satisfies it.
type KeyLookup interface {
	GetAccessKey(ctx context.Context, id string) (model.AccessKey, error)
}

const (
	// DefaultMaxSkew is how far a signature's time may be from the server's clock
	// (AWS allows 15 minutes either way).
	DefaultMaxSkew = 15 * time.Minute
	// DefaultMaxBodyBytes bounds a body Verify must read to hash.
	DefaultMaxBodyBytes int64 = 1 << 30

	algorithm       = "AWS4-HMAC-SHA256"
	terminator      = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	scopeDateLayout = "20060102"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	maxPresignTTL   = 7 * 24 * time.Hour

	hdrContentSHA = "X-Amz-Content-Sha256"
)

// Verifier checks AWS Signature Version 4 signatures, in the Authorization header
// or in a presigned URL's query string.
type Verifier struct {
	Keys KeyLookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds the distance between the signing time and Now; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// Region, when set, is the only region a credential scope may name (wharf's
	// --region), as an AWS endpoint accepts only its own. STS also accepts
	// us-east-1, the signing region of its global endpoint.
	Region string
	// MaxBodyBytes bounds a body whose hash the signature covers through
	// X-Amz-Content-Sha256 (package uploads); it is streamed to the handler and
	// held to that hash, never buffered. 0 means DefaultMaxBodyBytes. Bodies
	// beyond it fail with apperr.TooLarge.
	MaxBodyBytes int64
	// MaxUnsignedBody bounds, in memory, a body that must be read before the
	// signature can be checked (no usable X-Amz-Content-Sha256). Longer ones are
	// refused unread. 0 means DefaultMaxUnsignedBody.
	MaxUnsignedBody int64

	// signingKeys remembers derived SigV4 signing keys (four HMACs each, per
	// request otherwise): a key is valid for a day, a region and a service.
	signingKeys signingKeyCache
}

// signingKeyCache maps (access key id, date, region, service) to the signing
// key derived from the secret it was derived from. The derivation is a pure
// function, so an entry is never stale; a rotated or replaced secret simply
// misses (the secret is compared) and is derived again.
type signingKeyCache struct {
	mu sync.RWMutex
	m  map[string]signingKeyEntry
}

type signingKeyEntry struct {
	secret string
	key    []byte
}

// maxSigningKeys bounds the cache; it is emptied when full (a day's keys of
// that many distinct callers, regions and services).
const maxSigningKeys = 4096

func (c *signingKeyCache) get(accessKeyID, secret, date, region, service string) []byte {
	id := accessKeyID + "/" + date + "/" + region + "/" + service
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	if ok && subtle.ConstantTimeCompare([]byte(e.secret), []byte(secret)) == 1 {
		return e.key
	}
	k := deriveKey(secret, date, region, service)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSigningKeys {
		c.m = map[string]signingKeyEntry{}
	}
	c.m[id] = signingKeyEntry{secret: secret, key: k}
	c.mu.Unlock()
	return k
}

// Result is what a verified signature establishes.
type Result struct {
	Principal   model.Principal
	AccessKeyID string
	// RoleARN and SessionTags describe an STS session's credentials.
	RoleARN     string
	SessionTags map[string]string
	ExpiresAt   time.Time
	Service     string // from the credential scope, e.g. codeartifact, sts, kms
	Region      string
}

// sigRequest is the parsed signature of a request, from either form.
type sigRequest struct {
	presigned     bool
	accessKeyID   string
	scopeDate     string
	region        string
	service       string
	signedHeaders string // as sent: lowercase names joined by ';'
	signature     []byte // decoded from hex
	amzDate       string // the signing time as it enters the string to sign
	time          time.Time
	expires       time.Duration // presigned only
}

func (s *sigRequest) scope() string {
	return s.scopeDate + "/" + s.region + "/" + s.service + "/" + terminator
}

// Verify authenticates r. The signature is checked before any large body is
// read: a body is read up front only when its hash is needed to check the
// signature, and then at most MaxUnsignedBody bytes of it, in memory. A body whose
// hash the signature covers through X-Amz-Content-Sha256 reaches the handler
// through a reader that fails at its end if the bytes do not match that hash
// (small ones are checked here, before the handler runs). On success r.Body may
// have been replaced by such an equivalent reader.
//
// Refusals are apperr.Unauthenticated with Reason set to the AWS error code (see
// the Reason constants); a body over MaxBodyBytes is apperr.TooLarge; a failing key
// store is returned as is. A refused request's body is drained (boundedly) and
// closed.
func (v *Verifier) Verify(r *http.Request) (res Result, err error) {
	defer func() {
		if err != nil {
			discardBody(r)
		}
	}()
	sr, err := parseSignature(r)
	if err != nil {
		return Result{}, err
	}
	key, err := v.Keys.GetAccessKey(r.Context(), sr.accessKeyID)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return Result{}, refuse(ReasonUnrecognizedClient, msgUnrecognizedKey)
		}
		return Result{}, err
	}
	if err := v.checkSession(r, key); err != nil {
		return Result{}, err
	}
	if err := v.checkTime(sr); err != nil {
		return Result{}, err
	}
	if err := v.checkRegion(sr); err != nil {
		return Result{}, err
	}
	declared, err := declaredPayloadHash(r, sr)
	if err != nil {
		return Result{}, err
	}
	ok := Result{Principal: key.Principal, AccessKeyID: key.AccessKeyID, RoleARN: key.RoleARN, SessionTags: key.SessionTags,
		ExpiresAt: key.ExpiresAt, Service: sr.service, Region: sr.region}

	signingKey := v.signingKeys.get(key.AccessKeyID, key.SecretAccessKey, sr.scopeDate, sr.region, sr.service)
	canonical := canonicalRequestPrefix(r, sr)
	// The signature over a declared hash is checked from the headers alone; only
	// then is the body read, and held to that hash.
	if declared != "" && verifySignature(signingKey, sr, canonical+declared) {
		if err := v.holdBody(r, declared); err != nil {
			return Result{}, err
		}
		return ok, nil
	}

	// Otherwise the signature covers the body's own SHA-256: no declared hash (what
	// SDKs send to every JSON service), UNSIGNED-PAYLOAD (which AWS accepts only for
	// S3-style services, so here it never verifies as such), or aws-sdk-go-v2's
	// PublishPackageVersion with a false assetSHA256 (it signs the hash it computed
	// and sends the caller's value in the header). The body must be hashed before
	// anything is known about the caller: at most MaxUnsignedBody bytes, in memory.
	sum, err := readSmallBody(r, v.maxUnsigned())
	if err == errBodyOverUnsignedLimit {
		return Result{}, badSignature("%s (wharf checks a signature over the body's own hash only for bodies up to %d bytes; "+
			"sign a larger body's SHA-256 in X-Amz-Content-Sha256)", msgSignatureMismatch, v.maxUnsigned())
	}
	if err != nil {
		return Result{}, err
	}
	good := verifySignature(signingKey, sr, canonical+sum)
	// botocore presigns with UNSIGNED-PAYLOAD; harmless when there is no body.
	if !good && sr.presigned && declared == "" && sum == emptySHA256 {
		good = verifySignature(signingKey, sr, canonical+unsignedPayload)
	}
	if !good {
		return Result{}, badSignature(msgSignatureMismatch)
	}
	if declared != "" && !hmac.Equal([]byte(sum), []byte(strings.ToLower(declared))) {
		return Result{}, payloadMismatch()
	}
	return ok, nil
}

// holdBody makes the handler's body answer to the signed hash: a body that fits
// in MaxUnsignedBody is read and compared now, a longer one is streamed through a
// verifyingBody (and refused at once if its declared length is over MaxBodyBytes).
func (v *Verifier) holdBody(r *http.Request, declared string) error {
	declared = strings.ToLower(declared)
	limit := v.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	if r.ContentLength <= v.maxUnsigned() {
		data, complete, err := bufferPrefix(r, v.maxUnsigned())
		if err != nil {
			return err
		}
		if complete {
			sum := sha256.Sum256(data)
			if !hmac.Equal([]byte(hex.EncodeToString(sum[:])), []byte(declared)) {
				return payloadMismatch()
			}
			return nil
		}
		// An unknown length that turned out long: stream the rest behind what was read.
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), r.Body), r.Body}
	}
	r.Body = newVerifyingBody(r.Body, declared, limit)
	r.GetBody = nil
	return nil
}

func (v *Verifier) maxUnsigned() int64 {
	if v.MaxUnsignedBody > 0 {
		return v.MaxUnsignedBody
	}
	return DefaultMaxUnsignedBody
}

// checkRegion refuses a credential scope naming another region, with the error
// AWS endpoints answer (InvalidSignatureException; SignatureDoesNotMatch in STS).
// STS's global endpoint and IAM (a global service) are signed for us-east-1
// whatever the caller's region, so that region is theirs too.
func (v *Verifier) checkRegion(sr sigRequest) error {
	global := sr.service == "sts" || sr.service == "iam"
	if v.Region == "" || sr.region == v.Region || (global && sr.region == "us-east-1") {
		return nil
	}
	return badSignature("Credential should be scoped to a valid region, not '%s'. ", sr.region)
}

// checkSession refuses a deactivated key, and holds an STS session's
// credentials to their token (X-Amz-Security-Token, header or presigned query)
// and expiry, with the codes AWS uses.
func (v *Verifier) checkSession(r *http.Request, key model.AccessKey) error {
	if key.Inactive() {
		return refuse(ReasonUnrecognizedClient, msgUnrecognizedKey)
	}
	if key.SessionTokenHash == "" {
		return nil
	}
	tok := r.Header.Get("X-Amz-Security-Token")
	if tok == "" {
		tok = r.URL.Query().Get("X-Amz-Security-Token")
	}
	sum := sha256.Sum256([]byte(tok))
	if tok == "" || !hmac.Equal([]byte(hex.EncodeToString(sum[:])), []byte(key.SessionTokenHash)) {
		return refuse(ReasonUnrecognizedClient, msgUnrecognizedKey)
	}
	if !v.now().Before(key.ExpiresAt) {
		return refuse(ReasonExpiredToken, msgExpiredToken)
	}
	return nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

// checkTime enforces the clock skew window, a presigned URL's expiry, and that the
// credential scope's date is the signing date.
func (v *Verifier) checkTime(sr sigRequest) error {
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	now := v.now()
	t := sr.time
	mins := int(skew / time.Minute)
	if t.Sub(now) > skew {
		return badSignature("Signature not yet current: %s is still later than %s (%s + %d min.)",
			t.Format(amzDateLayout), now.Add(skew).Format(amzDateLayout), now.Format(amzDateLayout), mins)
	}
	if sr.presigned {
		if now.Sub(t) > sr.expires {
			return badSignature("Signature expired: %s is now earlier than %s (%s - %d sec.)",
				t.Format(amzDateLayout), now.Add(-sr.expires).Format(amzDateLayout), now.Format(amzDateLayout), int(sr.expires/time.Second))
		}
	} else if now.Sub(t) > skew {
		return badSignature("Signature expired: %s is now earlier than %s (%s - %d min.)",
			t.Format(amzDateLayout), now.Add(-skew).Format(amzDateLayout), now.Format(amzDateLayout), mins)
	}
	if d := t.Format(scopeDateLayout); d != sr.scopeDate {
		return badSignature("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			sr.scopeDate, d, sr.amzDate)
	}
	return nil
}

// declaredPayloadHash finds the payload hash the signer declared, without reading
// the body: a hex SHA-256, or "" when there is none to rely on (absent,
// or UNSIGNED-PAYLOAD: the signature must then cover the body's own hash).
func declaredPayloadHash(r *http.Request, sr sigRequest) (string, error) {
	h := r.Header.Get(hdrContentSHA)
	if h == "" && sr.presigned {
		h = r.URL.Query().Get(hdrContentSHA)
	}
	switch {
	case h == "" || h == unsignedPayload:
		return "", nil
	case strings.HasPrefix(h, "STREAMING-"):
		return "", incomplete("x-amz-content-sha256 '%s' (chunked payload signing) is not supported; sign the whole payload", h)
	}
	if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
		return "", incomplete("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
	}
	return h, nil // as sent: that is the string the signer signed
}

// verifySignature compares in constant time.
func verifySignature(key []byte, sr sigRequest, canonicalRequest string) bool {
	sum := sha256.Sum256([]byte(canonicalRequest))
	stringToSign := algorithm + "\n" + sr.amzDate + "\n" + sr.scope() + "\n" + hex.EncodeToString(sum[:])
	return hmac.Equal(hmacSHA256(key, stringToSign), sr.signature)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func deriveKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

// canonicalRequestPrefix builds the canonical request up to (not including) the
// payload hash. It is computed from what the handlers will see: the escaped path as
// sent, the query as url.Values decodes it (re-encoded canonically), and r.Host.
func canonicalRequestPrefix(r *http.Request, sr sigRequest) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL.EscapedPath(), sr.service))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query(), sr.presigned))
	b.WriteByte('\n')
	for _, name := range strings.Split(sr.signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(sr.signedHeaders)
	b.WriteByte('\n')
	return b.String()
}

// canonicalURI encodes the already-escaped path once more for every service but
// S3, as aws-sdk-go-v2 (httpbinding.EscapePath over URL.EscapedPath) and botocore
// (quote(path, safe='/~') over the encoded URL path) both do: a space travels as
// %20 and is signed as %2520.
func canonicalURI(escapedPath, service string) string {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if service == "s3" {
		return escapedPath
	}
	return uriEncode(escapedPath, false)
}

// canonicalQuery sorts the encoded name=value pairs (sorting after encoding, as
// SigV4 specifies), leaving out a presigned URL's own signature.
func canonicalQuery(q url.Values, presigned bool) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		ek := uriEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, uriEncode(v, true)})
		}
	}
	// By key, then value: sorting "k=v" strings would put "a-b=" before "a=".
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ with uppercase
// hex; '/' too when encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// canonicalHeaderValue is a signed header's value: every value of the header,
// trimmed, runs of spaces collapsed, joined by commas. net/http moves Host and
// Transfer-Encoding out of r.Header, so they are taken from where it puts them.
func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "transfer-encoding":
		values = r.TransferEncoding
	default:
		values = r.Header.Values(textproto.CanonicalMIMEHeaderKey(name))
		if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = collapseSpaces(strings.TrimSpace(v))
	}
	return strings.Join(out, ",")
}

func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	prevSpace := false
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if prevSpace {
				continue
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseSignature reads the signature from the Authorization header or, failing
// that, from a presigned URL's query string.
func parseSignature(r *http.Request) (sigRequest, error) {
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	q := r.URL.Query()
	queryAuth := q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential")
	switch {
	case authz == "" && !queryAuth:
		return sigRequest{}, refuse(ReasonMissingToken, msgMissingToken)
	case authz != "" && queryAuth:
		return sigRequest{}, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
	case authz != "":
		return parseHeaderSignature(r, authz)
	}
	return parseQuerySignature(q)
}

func parseHeaderSignature(r *http.Request, authz string) (sigRequest, error) {
	alg, rest, _ := strings.Cut(authz, " ")
	if alg != algorithm {
		return sigRequest{}, incomplete("Unsupported AWS 'algorithm': '%s'; wharf accepts only %s", alg, algorithm)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return sigRequest{}, incomplete("Invalid key=value pair (missing equal-sign) in Authorization header: '%s'", part)
		}
		// Only the three fields a signer writes, each once: with two
		// Credentials, ServiceOf (the first) and the signature (the last)
		// would read different scopes.
		if k != "Credential" && k != "SignedHeaders" && k != "Signature" {
			return sigRequest{}, incomplete("Unknown parameter '%s' in Authorization header; it has Credential, SignedHeaders and Signature.", k)
		}
		if _, dup := params[k]; dup {
			return sigRequest{}, incomplete("Authorization header has '%s' more than once.", k)
		}
		params[k] = v
	}
	var missing []string
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[p] == "" {
			missing = append(missing, "Authorization header requires '"+p+"' parameter.")
		}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var t time.Time
	switch {
	case amzDate != "":
		var err error
		if t, err = time.Parse(amzDateLayout, amzDate); err != nil {
			return sigRequest{}, incomplete("Date must be in ISO-8601 'basic format'. Got '%s'.", amzDate)
		}
	case r.Header.Get("Date") != "":
		var err error
		if t, err = http.ParseTime(r.Header.Get("Date")); err != nil {
			return sigRequest{}, incomplete("Date header is not an HTTP date: '%s'.", r.Header.Get("Date"))
		}
		amzDate = t.UTC().Format(amzDateLayout)
	default:
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return sigRequest{}, incomplete("%s Authorization=%s", strings.Join(missing, " "), alg)
	}
	sr, err := sigFields(params["Credential"], params["SignedHeaders"], params["Signature"])
	if err != nil {
		return sigRequest{}, err
	}
	sr.amzDate, sr.time = amzDate, t.UTC()
	return sr, nil
}

func parseQuerySignature(q url.Values) (sigRequest, error) {
	var missing []string
	for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date", "X-Amz-Expires"} {
		if q.Get(p) == "" {
			missing = append(missing, "AWS query-string parameters must include '"+p+"'.")
		}
	}
	if len(missing) > 0 {
		return sigRequest{}, incomplete("%s Re-examine the query-string parameters.", strings.Join(missing, " "))
	}
	if alg := q.Get("X-Amz-Algorithm"); alg != algorithm {
		return sigRequest{}, incomplete("Unsupported AWS 'algorithm': '%s'; wharf accepts only %s", alg, algorithm)
	}
	amzDate := q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return sigRequest{}, incomplete("X-Amz-Date must be in ISO-8601 'basic format'. Got '%s'.", amzDate)
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 0 {
		return sigRequest{}, incomplete("X-Amz-Expires should be a non-negative number of seconds, got '%s'.", q.Get("X-Amz-Expires"))
	}
	if time.Duration(secs)*time.Second > maxPresignTTL {
		return sigRequest{}, incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	sr, err := sigFields(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"))
	if err != nil {
		return sigRequest{}, err
	}
	sr.presigned = true
	sr.amzDate, sr.time = amzDate, t.UTC()
	sr.expires = time.Duration(secs) * time.Second
	return sr, nil
}

// sigFields validates the three fields both forms share.
func sigFields(credential, signedHeaders, signature string) (sigRequest, error) {
	var sr sigRequest
	var err error
	sr.accessKeyID, sr.scopeDate, sr.region, sr.service, err = parseCredential(credential)
	if err != nil {
		return sigRequest{}, err
	}
	names := strings.Split(signedHeaders, ";")
	hasHost := false
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) {
			return sigRequest{}, incomplete("SignedHeaders must be lowercase header names separated by ';', got '%s'.", signedHeaders)
		}
		hasHost = hasHost || n == "host"
	}
	if !hasHost {
		return sigRequest{}, incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sr.signedHeaders = signedHeaders
	sig, err := hex.DecodeString(signature)
	if err != nil || len(sig) != sha256.Size {
		return sigRequest{}, incomplete("Signature must be 64 hexadecimal characters, got '%s'.", signature)
	}
	// AWS compares the lowercase hex a signer writes, not the bytes it decodes
	// to: the same signature in capitals does not match there, so it does not
	// here (it is left empty, which no HMAC equals).
	if signature == strings.ToLower(signature) {
		sr.signature = sig
	}
	return sr, nil
}

// parseCredential splits AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(c string) (akid, date, region, service string, err error) {
	parts := strings.Split(c, "/")
	if len(parts) != 5 || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return "", "", "", "", incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", c)
	}
	if _, perr := time.Parse(scopeDateLayout, parts[1]); perr != nil {
		return "", "", "", "", incomplete("Credential date must be YYYYMMDD, got '%s'", parts[1])
	}
	if parts[4] != terminator {
		return "", "", "", "", badSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", parts[4])
	}
	return parts[0], parts[1], parts[2], parts[3], nil
}

// ServiceOf reads the service and region of r's credential scope (Authorization
// header or presigned query) without verifying anything, for routing. ok is false
// when r carries no parsable SigV4 credential.
func ServiceOf(r *http.Request) (service, region string, ok bool) {
	var cred string
	if authz := strings.TrimSpace(r.Header.Get("Authorization")); authz != "" {
		alg, rest, _ := strings.Cut(authz, " ")
		if alg != algorithm {
			return "", "", false
		}
		for _, part := range strings.Split(rest, ",") {
			if v, found := strings.CutPrefix(strings.TrimSpace(part), "Credential="); found {
				cred = v
				break
			}
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	_, _, region, service, err := parseCredential(cred)
	if err != nil {
		return "", "", false
	}
	return service, region, true
}
