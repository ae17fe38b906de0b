package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/plainquery"
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
	m  map[signingScope]signingKeyEntry
}

// signingScope is what a signing key is derived for, besides the secret (a
// struct key: looking it up builds no string).
type signingScope struct{ accessKeyID, date, region, service string }

type signingKeyEntry struct {
	secret string
	// mac is an HMAC-SHA256 keyed with the signing key and primed (its inner
	// and outer pads hashed once, by Reset): each verification clones it
	// instead of hashing the pads again. It is never written to, so concurrent
	// clones only read it.
	mac hash.Cloner
}

// maxSigningKeys bounds the cache; it is emptied when full (a day's keys of
// that many distinct callers, regions and services).
const maxSigningKeys = 4096

// get returns a fresh HMAC keyed with the signing key for (secret, date,
// region, service), ready to write the string to sign into.
func (c *signingKeyCache) get(accessKeyID, secret, date, region, service string) hash.Hash {
	id := signingScope{accessKeyID, date, region, service}
	c.mu.RLock()
	e, ok := c.m[id]
	c.mu.RUnlock()
	// Both secrets are the server's own (the entry's and the key store's), not
	// the caller's, so a plain comparison leaks nothing to the caller.
	if !ok || e.secret != secret {
		e = signingKeyEntry{secret: secret, mac: primedMAC(deriveKey(secret, date, region, service))}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= maxSigningKeys {
			c.m = map[signingScope]signingKeyEntry{}
		}
		c.m[id] = e
		c.mu.Unlock()
	}
	m, err := e.mac.Clone()
	if err != nil { // not for crypto/hmac over crypto/sha256 (hash.Cloner both)
		panic("auth: HMAC-SHA256 cannot be cloned: " + err.Error())
	}
	return m.(hash.Hash)
}

// primedMAC is an HMAC-SHA256 keyed with key, its pads hashed (see
// signingKeyEntry.mac).
func primedMAC(key []byte) hash.Cloner {
	m := hmac.New(sha256.New, key)
	m.Reset() // hashes the pads once and keeps their state
	c, ok := m.(hash.Cloner)
	if !ok {
		panic("auth: crypto/hmac's HMAC-SHA256 is not a hash.Cloner")
	}
	return c
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
	// signature is decoded from hex; sigValid is false when it was not the
	// lowercase hex a signer writes (then nothing matches it).
	signature [sha256.Size]byte
	sigValid  bool
	amzDate   string // the signing time as it enters the string to sign
	time      time.Time
	expires   time.Duration // presigned only
	query     url.Values    // the parsed query, once something needed it
}

func (s *sigRequest) appendScope(b []byte) []byte {
	b = append(b, s.scopeDate...)
	b = append(b, '/')
	b = append(b, s.region...)
	b = append(b, '/')
	b = append(b, s.service...)
	b = append(b, '/')
	return append(b, terminator...)
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

	mac := v.signingKeys.get(key.AccessKeyID, key.SecretAccessKey, sr.scopeDate, sr.region, sr.service)
	// The canonical request up to its payload hash, built once into one buffer
	// (on the stack for a usual request); each candidate hash is appended to
	// it in turn.
	var buf [1024]byte
	canonical := appendCanonicalRequestPrefix(buf[:0], r, &sr)
	// The signature over a declared hash is checked from the headers alone; only
	// then is the body read, and held to that hash.
	if declared != "" && verifySignature(mac, &sr, canonical, declared) {
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
	good := verifySignature(mac, &sr, canonical, sum)
	// botocore presigns with UNSIGNED-PAYLOAD; harmless when there is no body.
	if !good && sr.presigned && declared == "" && sum == emptySHA256 {
		good = verifySignature(mac, &sr, canonical, unsignedPayload)
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

// verifySignature checks the signature over the canonical request (its
// prefix, then payloadHash), comparing in constant time. mac is keyed with the
// signing key and used up by the call.
func verifySignature(mac hash.Hash, sr *sigRequest, canonicalPrefix []byte, payloadHash string) bool {
	mac.Reset() // a second candidate hash reuses it
	// canonicalPrefix's own bytes stay as they are: the hash is appended
	// after them, where the next candidate's goes too.
	crSum := sha256.Sum256(append(canonicalPrefix, payloadHash...))
	// The string to sign (escapes through the hash.Hash interface: one
	// allocation, whose room the MAC's sum reuses).
	sts := make([]byte, 0, 256)
	sts = append(sts, algorithm+"\n"...)
	sts = append(sts, sr.amzDate...)
	sts = append(sts, '\n')
	sts = sr.appendScope(sts)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, crSum[:])
	mac.Write(sts)
	return hmac.Equal(mac.Sum(sts[:0]), sr.signature[:]) && sr.sigValid
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

// appendCanonicalRequestPrefix appends the canonical request up to (not
// including) the payload hash. It is computed from what the handlers will see:
// the escaped path as sent, the query as url.Values decodes it (re-encoded
// canonically), and r.Host.
func appendCanonicalRequestPrefix(b []byte, r *http.Request, sr *sigRequest) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r.URL.EscapedPath(), sr.service)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, r, sr)
	b = append(b, '\n')
	for rest, more := sr.signedHeaders, true; more; {
		var name string
		name, rest, more = strings.Cut(rest, ";")
		b = append(b, name...)
		b = append(b, ':')
		b = appendCanonicalHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, sr.signedHeaders...)
	return append(b, '\n')
}

// canonicalRequestPrefix is appendCanonicalRequestPrefix as a string.
func canonicalRequestPrefix(r *http.Request, sr sigRequest) string {
	return string(appendCanonicalRequestPrefix(nil, r, &sr))
}

// appendCanonicalURI encodes the already-escaped path once more for every
// service but S3, as aws-sdk-go-v2 (httpbinding.EscapePath over
// URL.EscapedPath) and botocore (quote(path, safe='/~') over the encoded URL
// path) both do: a space travels as %20 and is signed as %2520.
func appendCanonicalURI(b []byte, escapedPath, service string) []byte {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if service == "s3" {
		return append(b, escapedPath...)
	}
	return appendURIEncode(b, escapedPath, false)
}

// queryValues is r's query as url.Values, parsed once per request here.
func queryValues(r *http.Request, sr *sigRequest) url.Values {
	if sr.query == nil {
		sr.query = r.URL.Query()
	}
	return sr.query
}

// canonicalPair is a query parameter's name and value, uri-encoded, as
// offsets into one buffer.
type canonicalPair struct{ k0, k1, v0, v1 int }

// appendCanonicalQuery appends the encoded name=value pairs sorted by name,
// then value (sorting after encoding, as SigV4 specifies; sorting "k=v"
// strings would put "a-b=" before "a="), leaving out a presigned URL's own
// signature.
func appendCanonicalQuery(b []byte, r *http.Request, sr *sigRequest) []byte {
	var encBuf [512]byte
	var pairBuf [plainquery.MaxPairs]canonicalPair
	enc, pairs := encBuf[:0], pairBuf[:0]
	add := func(k, v string) {
		if sr.presigned && k == "X-Amz-Signature" {
			return
		}
		p := canonicalPair{k0: len(enc)}
		enc = appendURIEncode(enc, k, true)
		p.k1, p.v0 = len(enc), len(enc)
		enc = appendURIEncode(enc, v, true)
		p.v1 = len(enc)
		pairs = append(pairs, p)
	}
	if raw := r.URL.RawQuery; plainquery.Is(raw) && sr.query == nil {
		// What url.ParseQuery does, for a query in which nothing decodes.
		for raw != "" {
			var kv string
			kv, raw, _ = strings.Cut(raw, "&")
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			add(k, v)
		}
	} else {
		for k, vs := range queryValues(r, sr) {
			for _, v := range vs {
				add(k, v)
			}
		}
	}
	slices.SortFunc(pairs, func(x, y canonicalPair) int {
		if c := bytes.Compare(enc[x.k0:x.k1], enc[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(enc[x.v0:x.v1], enc[y.v0:y.v1])
	})
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, enc[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, enc[p.v0:p.v1]...)
	}
	return b
}

// appendURIEncode percent-encodes every byte outside A-Z a-z 0-9 - _ . ~ with
// uppercase hex; '/' too when encodeSlash.
func appendURIEncode(b []byte, s string, encodeSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// uriEncode is appendURIEncode as a string.
func uriEncode(s string, encodeSlash bool) string {
	return string(appendURIEncode(make([]byte, 0, len(s)), s, encodeSlash))
}

// appendCanonicalHeaderValue appends a signed header's value: every value of
// the header, trimmed, runs of spaces collapsed, joined by commas. net/http
// moves Host and Transfer-Encoding out of r.Header, so they are taken from
// where it puts them.
func appendCanonicalHeaderValue(b []byte, r *http.Request, name string) []byte {
	var values []string
	switch name {
	case "host":
		return appendHeaderValue(b, r.Host)
	case "transfer-encoding":
		values = r.TransferEncoding
	default:
		values = headerValues(r.Header, name)
		if len(values) == 0 && name == "content-length" && r.ContentLength >= 0 {
			return strconv.AppendInt(b, r.ContentLength, 10)
		}
	}
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHeaderValue(b, v)
	}
	return b
}

// headerValues is h.Values(textproto.CanonicalMIMEHeaderKey(name)) for a
// lowercase name, without building the canonical key as a string when it is
// a plain token (every name a signer sends): net/http stores every header it
// reads under that key.
func headerValues(h http.Header, name string) []string {
	var buf [64]byte
	if len(name) > len(buf) {
		return h.Values(textproto.CanonicalMIMEHeaderKey(name))
	}
	key := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTokenByte(c) {
			return h.Values(textproto.CanonicalMIMEHeaderKey(name))
		}
		switch {
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case !upper && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		key[i] = c
		upper = c == '-'
	}
	return h[string(key)] // a map index by string(bytes) copies nothing
}

// isTokenByte is textproto's rule for a header name byte (RFC 7230 tchar):
// a name holding any other is left as it is by CanonicalMIMEHeaderKey.
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// appendHeaderValue appends v trimmed (strings.TrimSpace) with its runs of
// spaces collapsed to one.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	prevSpace := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if prevSpace {
				continue
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		b = append(b, v[i])
	}
	return b
}

// parseSignature reads the signature from the Authorization header or, failing
// that, from a presigned URL's query string.
func parseSignature(r *http.Request) (sigRequest, error) {
	var sr sigRequest
	authz := strings.TrimSpace(r.Header.Get("Authorization"))
	var queryAuth bool
	if raw := r.URL.RawQuery; plainquery.Is(raw) {
		queryAuth = rawQueryHas(raw, "X-Amz-Algorithm") || rawQueryHas(raw, "X-Amz-Signature") || rawQueryHas(raw, "X-Amz-Credential")
	} else {
		q := queryValues(r, &sr)
		queryAuth = q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Signature") || q.Has("X-Amz-Credential")
	}
	switch {
	case authz == "" && !queryAuth:
		return sigRequest{}, refuse(ReasonMissingToken, msgMissingToken)
	case authz != "" && queryAuth:
		return sigRequest{}, incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified")
	case authz != "":
		return parseHeaderSignature(r, authz, sr)
	}
	q := queryValues(r, &sr)
	sr, err := parseQuerySignature(q)
	if err != nil {
		return sigRequest{}, err
	}
	sr.query = q
	return sr, nil
}

func rawQueryHas(raw, name string) bool { _, ok := plainquery.Get(raw, name); return ok }

func parseHeaderSignature(r *http.Request, authz string, parsed sigRequest) (sigRequest, error) {
	alg, rest, _ := strings.Cut(authz, " ")
	if alg != algorithm {
		return sigRequest{}, incomplete("Unsupported AWS 'algorithm': '%s'; wharf accepts only %s", alg, algorithm)
	}
	// The parameters, split on ','.
	var credential, signature, signedHeaders string
	var seen [3]bool // Credential, Signature, SignedHeaders
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
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
		var field *string
		var i int
		switch k {
		case "Credential":
			field, i = &credential, 0
		case "Signature":
			field, i = &signature, 1
		case "SignedHeaders":
			field, i = &signedHeaders, 2
		default:
			return sigRequest{}, incomplete("Unknown parameter '%s' in Authorization header; it has Credential, SignedHeaders and Signature.", k)
		}
		if seen[i] {
			return sigRequest{}, incomplete("Authorization header has '%s' more than once.", k)
		}
		seen[i] = true
		*field = v
	}
	var missing []string
	for _, p := range [...]struct{ name, value string }{{"Credential", credential}, {"Signature", signature}, {"SignedHeaders", signedHeaders}} {
		if p.value == "" {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
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
	sr, err := sigFields(credential, signedHeaders, signature)
	if err != nil {
		return sigRequest{}, err
	}
	sr.amzDate, sr.time = amzDate, t.UTC()
	sr.query = parsed.query
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
	hasHost := false
	for rest, more := signedHeaders, true; more; {
		var n string
		n, rest, more = strings.Cut(rest, ";")
		if n == "" || n != strings.ToLower(n) {
			return sigRequest{}, incomplete("SignedHeaders must be lowercase header names separated by ';', got '%s'.", signedHeaders)
		}
		hasHost = hasHost || n == "host"
	}
	if !hasHost {
		return sigRequest{}, incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	sr.signedHeaders = signedHeaders
	if len(signature) != 2*sha256.Size {
		return sigRequest{}, incomplete("Signature must be 64 hexadecimal characters, got '%s'.", signature)
	}
	for i := range sr.signature {
		hi, ok1 := fromHex(signature[2*i])
		lo, ok2 := fromHex(signature[2*i+1])
		if !ok1 || !ok2 {
			return sigRequest{}, incomplete("Signature must be 64 hexadecimal characters, got '%s'.", signature)
		}
		sr.signature[i] = hi<<4 | lo
	}
	// AWS compares the lowercase hex a signer writes, not the bytes it decodes
	// to: the same signature in capitals does not match there, so it does not
	// here (sigValid stays false, which no HMAC passes).
	sr.sigValid = !strings.ContainsAny(signature, "ABCDEF")
	return sr, nil
}

// fromHex is a hex digit's value, either case (as hex.DecodeString reads).
func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseCredential splits AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(c string) (akid, date, region, service string, err error) {
	var term string
	if strings.Count(c, "/") == 4 {
		rest := c
		akid, rest, _ = strings.Cut(rest, "/")
		date, rest, _ = strings.Cut(rest, "/")
		region, rest, _ = strings.Cut(rest, "/")
		service, term, _ = strings.Cut(rest, "/")
	}
	if akid == "" || region == "" || service == "" {
		return "", "", "", "", incomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", c)
	}
	if _, perr := time.Parse(scopeDateLayout, date); perr != nil {
		return "", "", "", "", incomplete("Credential date must be YYYYMMDD, got '%s'", date)
	}
	if term != terminator {
		return "", "", "", "", badSignature("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", term)
	}
	return akid, date, region, service, nil
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
		for more := true; more; { // the first Credential= part
			var part string
			part, rest, more = strings.Cut(rest, ",")
			if v, found := strings.CutPrefix(strings.TrimSpace(part), "Credential="); found {
				cred = v
				break
			}
		}
	} else if raw := r.URL.RawQuery; plainquery.Is(raw) {
		cred, _ = plainquery.Get(raw, "X-Amz-Credential")
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if cred == "" { // what parseCredential refuses, without wording why
		return "", "", false
	}
	_, _, region, service, err := parseCredential(cred)
	if err != nil {
		return "", "", false
	}
	return service, region, true
}
