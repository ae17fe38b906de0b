package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

type fakeKeys struct {
	mu   sync.Mutex
	keys map[string]model.AccessKey
	puts int
}

func newFakeKeys(ks ...model.AccessKey) *fakeKeys {
	f := &fakeKeys{keys: map[string]model.AccessKey{}}
	for _, k := range ks {
		f.keys[k.AccessKeyID] = k
	}
	return f
}

func (f *fakeKeys) GetAccessKey(_ context.Context, id string) (model.AccessKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[id]
	if !ok {
		return model.AccessKey{}, apperr.NotFoundf("access-key", id, "no access key %s", id)
	}
	return k, nil
}

func (f *fakeKeys) PutAccessKey(_ context.Context, k model.AccessKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[k.AccessKeyID] = k
	f.puts++
	return nil
}

var (
	testUser = model.Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/alice", UserID: "AIDAEXAMPLEALICE"}
	testKey  = model.AccessKey{AccessKeyID: "AKIAWHARFTEST0000001", SecretAccessKey: "wJalr/K7MDENG+bPxRfiCY/secret", Principal: testUser}
	testCred = aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: testKey.SecretAccessKey}
	signedAt = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
)

// seen is what the test server observed for one request.
type seen struct {
	res      Result
	err      error
	body     []byte
	bodyErr  error
	path     string
	rawQuery string
	query    url.Values
}

type recorder struct {
	mu    sync.Mutex
	calls []seen
}

// last returns the latest request and forgets it, so a test never mistakes an
// earlier request for the one it just made.
func (rc *recorder) last(t *testing.T) seen {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.calls) == 0 {
		t.Fatal("server saw no new request")
	}
	s := rc.calls[len(rc.calls)-1]
	rc.calls = rc.calls[:0]
	return s
}

// verifyServer runs v in front of a handler that reads the whole body, and records
// both. reply, when set, writes the response for verified requests.
func verifyServer(t *testing.T, v *Verifier, reply func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *recorder) {
	t.Helper()
	rc := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r)
		s := seen{res: res, err: err, path: r.URL.Path, rawQuery: r.URL.RawQuery, query: r.URL.Query()}
		if err == nil {
			s.body, s.bodyErr = io.ReadAll(r.Body)
		}
		rc.mu.Lock()
		rc.calls = append(rc.calls, s)
		rc.mu.Unlock()
		if err != nil {
			w.Header().Set("x-amzn-ErrorType", apperr.As(err).Reason)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if reply != nil {
			reply(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, rc
}

func fixedVerifier(keys KeyLookup, now time.Time) *Verifier {
	return &Verifier{Keys: keys, Now: func() time.Time { return now }}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sign builds and signs a request with aws-sdk-go-v2's signer. If the request
// carries X-Amz-Content-Sha256 after mod, that is the payload hash signed.
func sign(t *testing.T, cred aws.Credentials, method, rawURL string, body []byte, at time.Time, mod func(*http.Request)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if mod != nil {
		mod(req)
	}
	payload := req.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = sha(body)
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), cred, req, payload, "codeartifact", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func wantOK(t *testing.T, s seen) {
	t.Helper()
	if s.err != nil {
		t.Fatalf("Verify: %v", s.err)
	}
	if s.res.Principal != testUser || s.res.AccessKeyID != testKey.AccessKeyID || s.res.Service != "codeartifact" || s.res.Region != "us-east-1" {
		t.Fatalf("result = %+v", s.res)
	}
}

func wantRefused(t *testing.T, err error, reason, msgPart string) {
	t.Helper()
	if err == nil {
		t.Fatal("Verify accepted the request")
	}
	e := apperr.As(err)
	if e.Kind != apperr.Unauthenticated || e.Reason != reason || !strings.Contains(e.Message, msgPart) {
		t.Fatalf("error = kind %v reason %q message %q; want Unauthenticated %q containing %q", e.Kind, e.Reason, e.Message, reason, msgPart)
	}
}

func TestVerifyAcceptsSDKSignedRequests(t *testing.T) {
	srv, rc := verifyServer(t, fixedVerifier(newFakeKeys(testKey), signedAt.Add(time.Minute)), nil)
	jsonBody := []byte(`{"encryptionKey":"arn:aws:kms:us-east-1:111122223333:key/k","tags":[{"key":"a b","value":"c"}]}`)

	cases := []struct {
		name, method, path string
		query              url.Values
		body               []byte
		mod                func(*http.Request)
	}{
		{name: "external connection", method: "POST", path: "/v1/repository/external-connection",
			query: url.Values{"domain": {"d"}, "domain-owner": {"111122223333"}, "repository": {"r"}, "external-connection": {"public:npmjs"}}},
		{name: "resource arn", method: "POST", path: "/v1/tags",
			query: url.Values{"resourceArn": {"arn:aws:codeartifact:us-east-1:111122223333:repository/d/r"}}},
		{name: "scoped npm package with spaces", method: "GET", path: "/v1/package",
			query: url.Values{"domain": {"d"}, "repository": {"r"}, "format": {"npm"}, "namespace": {"@scope"}, "package": {"a b  c"}}},
		{name: "repeated and odd query values", method: "GET", path: "/v1/packages",
			query: url.Values{"k": {"z", "a/b", "a-b", "+", "%", "ü"}, "a~b": {""}}},
		{name: "json body", method: "POST", path: "/v1/domain", query: url.Values{"domain": {"d"}}, body: jsonBody},
		{name: "put", method: "PUT", path: "/v1/repository", query: url.Values{"domain": {"d"}, "repository": {"r"}, "description": {"a b"}}, body: []byte(`{"upstreams":[{"repositoryName":"x"}]}`)},
		{name: "path with characters", method: "GET", path: "/v1/odd path/é/a%2Fb/c@d!$'()*,;=:/x~y"},
		{name: "declared content sha", method: "POST", path: "/v1/domains", body: jsonBody,
			mod: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sha(jsonBody)) }},
		{name: "signed extra headers", method: "POST", path: "/v1/domains", body: jsonBody,
			mod: func(r *http.Request) {
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("X-Amz-Meta", "  spaced   out  value ")
				r.Header.Add("X-Multi", "one")
				r.Header.Add("X-Multi", "two")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := srv.URL + c.path
			if c.query != nil {
				u += "?" + c.query.Encode()
			}
			send(t, sign(t, testCred, c.method, u, c.body, signedAt, c.mod))
			s := rc.last(t)
			wantOK(t, s)
			if s.bodyErr != nil || !bytes.Equal(s.body, c.body) {
				t.Fatalf("handler read body %q (%v), want %q", s.body, s.bodyErr, c.body)
			}
			for k, vs := range c.query {
				// The signer sends values sorted; the set is what must arrive.
				got, want := slices.Sorted(slices.Values(s.query[k])), slices.Sorted(slices.Values(vs))
				if !slices.Equal(got, want) {
					t.Fatalf("query %s = %q, want %q", k, s.query[k], vs)
				}
			}
		})
	}
}

func TestVerifySessionTokenHeader(t *testing.T) {
	srv, rc := verifyServer(t, fixedVerifier(newFakeKeys(testKey), signedAt), nil)
	cred := testCred
	cred.SessionToken = "FwoGZXIvYXdzEXAMPLETOKEN"
	req := sign(t, cred, "GET", srv.URL+"/v1/domains", nil, signedAt, nil)
	if req.Header.Get("X-Amz-Security-Token") == "" {
		t.Fatal("signer did not add the session token header")
	}
	send(t, req)
	wantOK(t, rc.last(t))
}

func TestVerifyAcceptsEquivalentQueryEncoding(t *testing.T) {
	// The signer sends the canonical encoding; another client may send "+" for a
	// space or leave ':' and '@' bare. Same values, same signature.
	srv, rc := verifyServer(t, fixedVerifier(newFakeKeys(testKey), signedAt), nil)
	q := url.Values{"namespace": {"@scope"}, "external-connection": {"public:npmjs"}, "description": {"a b"}}
	req := sign(t, testCred, "GET", srv.URL+"/v1/x?"+q.Encode(), nil, signedAt, nil)
	req.URL.RawQuery = "description=a+b&namespace=@scope&external-connection=public:npmjs"
	send(t, req)
	wantOK(t, rc.last(t))
}

func TestVerifyLargeSignedBodyIsStreamedAndHeldToItsHash(t *testing.T) {
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	srv, rc := verifyServer(t, v, nil)
	body := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB: over the in-memory bound
	declare := func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sha(body)) }
	url := srv.URL + "/v1/package/version/publish"

	send(t, sign(t, testCred, "POST", url, body, signedAt, declare))
	s := rc.last(t)
	wantOK(t, s)
	if s.bodyErr != nil || !bytes.Equal(s.body, body) {
		t.Fatalf("handler read %d bytes (%v), want the %d sent", len(s.body), s.bodyErr, len(body))
	}

	// The same length, one byte changed: the signature (over the declared hash) is
	// good, and the handler's read fails at the end instead of returning io.EOF.
	req := sign(t, testCred, "POST", url, body, signedAt, declare)
	tampered := bytes.Clone(body)
	tampered[len(tampered)-1] ^= 1
	req.Body = io.NopCloser(bytes.NewReader(tampered))
	send(t, req)
	s = rc.last(t)
	wantOK(t, s)
	if e := apperr.As(s.bodyErr); s.bodyErr == nil || e.Kind != apperr.Validation || !strings.Contains(e.Message, "x-amz-content-sha256") {
		t.Fatalf("tampered large body: read error %v; want a validation error naming x-amz-content-sha256", s.bodyErr)
	}

	// A chunked body (no Content-Length) gets the same treatment.
	chunked := func(r *http.Request) { declare(r); r.ContentLength = -1 }
	send(t, sign(t, testCred, "POST", url, body, signedAt, chunked))
	if s := rc.last(t); s.err != nil || s.bodyErr != nil || !bytes.Equal(s.body, body) {
		t.Fatalf("chunked signed body: verify %v, read %v, %d bytes", s.err, s.bodyErr, len(s.body))
	}

	v.MaxBodyBytes = 1 << 20
	send(t, sign(t, testCred, "POST", url, body, signedAt, declare))
	if k := apperr.KindOf(rc.last(t).err); k != apperr.TooLarge {
		t.Fatalf("over MaxBodyBytes: kind %v, want TooLarge", k)
	}
	// Without a Content-Length the limit holds while the handler reads.
	send(t, sign(t, testCred, "POST", url, body, signedAt, chunked))
	if s := rc.last(t); s.err != nil || apperr.KindOf(s.bodyErr) != apperr.TooLarge {
		t.Fatalf("chunked over MaxBodyBytes: verify %v, read %v; want TooLarge on read", s.err, s.bodyErr)
	}
}

func TestVerifyBodyHashedForTheSignatureIsBounded(t *testing.T) {
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	v.MaxUnsignedBody = 1000
	srv, rc := verifyServer(t, v, nil)
	url := srv.URL + "/v1/domain?domain=d"

	small := bytes.Repeat([]byte("x"), 1000)
	send(t, sign(t, testCred, "POST", url, small, signedAt, nil))
	if s := rc.last(t); s.err != nil || !bytes.Equal(s.body, small) {
		t.Fatalf("body at the bound: %v, %d bytes", s.err, len(s.body))
	}
	// One byte more cannot be verified without reading it all: refused unread.
	big := append(small, 'x')
	send(t, sign(t, testCred, "POST", url, big, signedAt, nil))
	wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "up to 1000 bytes")
	send(t, sign(t, testCred, "POST", url, big, signedAt, func(r *http.Request) { r.ContentLength = -1 }))
	wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "up to 1000 bytes")
}

// countingBody is an endless body that counts what is read from it.
type countingBody struct{ n atomic.Int64 }

func (c *countingBody) Read(p []byte) (int, error) {
	clear(p)
	c.n.Add(int64(len(p)))
	return len(p), nil
}
func (c *countingBody) Close() error { return nil }

// A 1 GiB body with a bogus signature from a known access key id costs a bounded
// read in memory and nothing on disk, whatever the request declares.
func TestVerifyBogusSignatureOnHugeBodyCostsABoundedRead(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	const gib = 1 << 30
	bound := DefaultMaxUnsignedBody + 128<<10
	for _, c := range []struct {
		name     string
		length   int64
		declared string
	}{
		{"declared hash", gib, sha([]byte("anything"))},
		{"no declared hash", gib, ""},
		{"unsigned payload", gib, "UNSIGNED-PAYLOAD"},
		{"chunked, declared hash", -1, sha([]byte("anything"))},
		{"chunked, no declared hash", -1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := &countingBody{}
			r := httptest.NewRequest("POST", "http://wharf.test/v1/package/version/publish?domain=d", nil)
			r.Body, r.ContentLength = body, c.length
			r.Header.Set("X-Amz-Date", signedAt.Format(amzDateLayout))
			if c.declared != "" {
				r.Header.Set("X-Amz-Content-Sha256", c.declared)
			}
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testKey.AccessKeyID+"/20250304/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
			_, err := fixedVerifier(newFakeKeys(testKey), signedAt).Verify(r)
			wantRefused(t, err, ReasonInvalidSignature, "does not match")
			if n := body.n.Load(); n > bound {
				t.Fatalf("read %d bytes of a refused body, want at most %d", n, bound)
			}
			if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
				t.Fatalf("refusal left %d files in the temp dir", len(ents))
			}
		})
	}
}

func TestVerifyStrictAsAWS(t *testing.T) {
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	v.Region = "eu-west-1"
	body := []byte(`{"domain":"d"}`)
	signIn := func(region, service string, mod func(*http.Request)) *http.Request {
		r := httptest.NewRequest("POST", "http://wharf.test/v1/domain?domain=d", bytes.NewReader(body))
		if mod != nil {
			mod(r)
		}
		payload := r.Header.Get("X-Amz-Content-Sha256")
		if payload == "" {
			payload = sha(body)
		}
		if err := v4.NewSigner().SignHTTP(context.Background(), testCred, r, payload, service, region, signedAt); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if _, err := v.Verify(signIn("eu-west-1", "codeartifact", nil)); err != nil {
		t.Fatalf("own region: %v", err)
	}
	_, err := v.Verify(signIn("us-west-2", "codeartifact", nil))
	wantRefused(t, err, ReasonInvalidSignature, "Credential should be scoped to a valid region, not 'us-west-2'.")
	if QueryErrorCode(apperr.As(err).Reason) != "SignatureDoesNotMatch" {
		t.Fatal("a wrong region must read SignatureDoesNotMatch in STS")
	}
	if _, err := v.Verify(signIn("us-east-1", "sts", nil)); err != nil {
		t.Fatalf("STS signed for its global endpoint (us-east-1): %v", err)
	}
	_, err = v.Verify(signIn("us-east-1", "codeartifact", nil))
	wantRefused(t, err, ReasonInvalidSignature, "valid region")

	// UNSIGNED-PAYLOAD leaves the body out of the signature; AWS accepts it only for
	// S3-style services, so a control-plane request signed so is refused, even with
	// the body it was sent with.
	_, err = v.Verify(signIn("eu-west-1", "codeartifact", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }))
	wantRefused(t, err, ReasonInvalidSignature, "does not match")
	_, err = v.Verify(signIn("eu-west-1", "kms", func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD") }))
	wantRefused(t, err, ReasonInvalidSignature, "does not match")

	// The signature is the signer's lowercase hex, compared as written: the same
	// bytes in capitals are another signature (found by FuzzVerifyAuthorizationHeader).
	r := signIn("eu-west-1", "codeartifact", nil)
	authz := r.Header.Get("Authorization")
	i := strings.Index(authz, "Signature=") + len("Signature=")
	r.Header.Set("Authorization", authz[:i]+strings.ToUpper(authz[i:]))
	_, err = v.Verify(r)
	wantRefused(t, err, ReasonInvalidSignature, "does not match")
}

// The Authorization header holds the signer's three fields, each once: white
// space around its commas means nothing, but a second Credential (which
// ServiceOf and the signature check would read differently) or a field no
// signer writes is refused, as the genuine signature beside them does not make
// them signed.
func TestVerifyAuthorizationFields(t *testing.T) {
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	v.Region = "us-east-1"
	body := []byte(`{"domain":"d"}`)
	signed := httptest.NewRequest("POST", "http://wharf.test/v1/domain?domain=d", bytes.NewReader(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), testCred, signed, sha(body), "codeartifact", "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	authz := signed.Header.Get("Authorization")
	with := func(a string) *http.Request {
		r := httptest.NewRequest("POST", "http://wharf.test/v1/domain?domain=d", bytes.NewReader(body))
		r.Header.Set("X-Amz-Date", signed.Header.Get("X-Amz-Date"))
		r.Header.Set("Authorization", a)
		return r
	}
	for _, a := range []string{authz, strings.ReplaceAll(authz, ", ", ","), strings.ReplaceAll(authz, ", ", " ,  ")} {
		if _, err := v.Verify(with(a)); err != nil {
			t.Fatalf("%q: %v", a, err)
		}
	}
	stsScope := "Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/sts/aws4_request, "
	twoScopes := strings.Replace(authz, "Credential=", stsScope+"Credential=", 1)
	if svc, _, _ := ServiceOf(with(twoScopes)); svc != "sts" {
		t.Fatalf("ServiceOf(%q) = %q; the test expects the first Credential", twoScopes, svc)
	}
	_, err := v.Verify(with(twoScopes))
	wantRefused(t, err, ReasonIncompleteSignature, "'Credential' more than once")
	_, err = v.Verify(with(authz + ", Signature=" + strings.Repeat("0", 64)))
	wantRefused(t, err, ReasonIncompleteSignature, "'Signature' more than once")
	_, err = v.Verify(with(authz + ", Region=us-east-1"))
	wantRefused(t, err, ReasonIncompleteSignature, "Unknown parameter 'Region'")
}

// aws-sdk-go-v2 signs the body's hash and sends the caller's assetSHA256 in
// X-Amz-Content-Sha256: a false one is a validation error, not a signature error.
func TestVerifyGoSDKFalseAssetSHA256(t *testing.T) {
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	body := []byte("asset bytes")
	r := httptest.NewRequest("POST", "http://wharf.test/v1/package/version/publish", bytes.NewReader(body))
	r.Header.Set("X-Amz-Content-Sha256", sha([]byte("other bytes")))
	if err := v4.NewSigner().SignHTTP(context.Background(), testCred, r, sha(body), "codeartifact", "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	_, err := v.Verify(r)
	if e := apperr.As(err); err == nil || e.Kind != apperr.Validation {
		t.Fatalf("false assetSHA256: %v; want a validation error", err)
	}
}

func TestVerifyPresigned(t *testing.T) {
	srv, rc := verifyServer(t, fixedVerifier(newFakeKeys(testKey), signedAt.Add(4*time.Minute)), nil)
	for _, payload := range []string{sha(nil), "UNSIGNED-PAYLOAD"} {
		req, _ := http.NewRequest("GET", srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=300", nil)
		u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), testCred, req, payload, "codeartifact", "us-east-1", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		preq, _ := http.NewRequest("GET", u, nil)
		for k, vs := range hdr {
			if k != "Host" {
				preq.Header[k] = vs
			}
		}
		send(t, preq)
		wantOK(t, rc.last(t))
	}

	// Expired: signed 6 minutes ago, valid for 5.
	late := fixedVerifier(newFakeKeys(testKey), signedAt.Add(6*time.Minute))
	req, _ := http.NewRequest("GET", "http://wharf.test/?X-Amz-Expires=300", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCred, req, "UNSIGNED-PAYLOAD", "codeartifact", "us-east-1", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	_, err = late.Verify(httptest.NewRequest("GET", u, nil))
	wantRefused(t, err, ReasonInvalidSignature, "Signature expired")

	// Tampered: the signature does not cover another action.
	tampered := strings.Replace(u, "X-Amz-Expires=300", "X-Amz-Expires=300&Action=Other", 1)
	_, err = fixedVerifier(newFakeKeys(testKey), signedAt).Verify(httptest.NewRequest("GET", tampered, nil))
	wantRefused(t, err, ReasonInvalidSignature, "does not match")
}

// The AWS SigV4 test suite's published vectors, computed by AWS, not by the code
// under test: one with X-Amz-Date, one from the 2011 suite with only a Date header.
func TestVerifyAWSTestSuiteVectors(t *testing.T) {
	example := model.AccessKey{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", Principal: testUser}
	keys := newFakeKeys(example)

	r := httptest.NewRequest("GET", "http://example.amazonaws.com/", nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
	res, err := fixedVerifier(keys, time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC)).Verify(r)
	if err != nil || res.Service != "service" || res.Region != "us-east-1" {
		t.Fatalf("get-vanilla: %+v, %v", res, err)
	}

	r = httptest.NewRequest("GET", "http://example.amazonaws.com/?Param2=value2&Param1=value1", nil)
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
	if _, err := fixedVerifier(keys, time.Date(2015, 8, 30, 12, 40, 0, 0, time.UTC)).Verify(r); err != nil {
		t.Fatalf("get-vanilla-query-order-key-case: %v", err)
	}

	r = httptest.NewRequest("GET", "http://host.foo.com/", nil)
	r.Header.Set("Date", "Mon, 09 Sep 2011 23:36:00 GMT")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20110909/us-east-1/host/aws4_request, SignedHeaders=date;host, Signature=b27ccfbfa7df52a200ff74193ca6e32d4b48b8856fab7ebf1c595d0670a7e470")
	if _, err := fixedVerifier(keys, time.Date(2011, 9, 9, 23, 40, 0, 0, time.UTC)).Verify(r); err != nil {
		t.Fatalf("get-vanilla (Date header): %v", err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	keys := newFakeKeys(testKey)
	srv, rc := verifyServer(t, fixedVerifier(keys, signedAt), nil)
	body := []byte(`{"domain":"d"}`)
	url := srv.URL + "/v1/domain?domain=d&external-connection=public:npmjs"

	t.Run("unknown key", func(t *testing.T) {
		cred := testCred
		cred.AccessKeyID = "AKIANOBODY0000000000"
		send(t, sign(t, cred, "POST", url, body, signedAt, nil))
		wantRefused(t, rc.last(t).err, ReasonUnrecognizedClient, "The security token included in the request is invalid.")
	})
	t.Run("wrong secret", func(t *testing.T) {
		cred := testCred
		cred.SecretAccessKey = "not-the-secret"
		send(t, sign(t, cred, "POST", url, body, signedAt, nil))
		wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "The request signature we calculated does not match the signature you provided.")
	})
	t.Run("tampered body", func(t *testing.T) {
		req := sign(t, testCred, "POST", url, body, signedAt, nil)
		req.Body = io.NopCloser(bytes.NewReader([]byte(`{"domain":"e"}`))) // same length
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "does not match")
	})
	t.Run("tampered body with declared sha", func(t *testing.T) {
		req := sign(t, testCred, "POST", url, body, signedAt, func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sha(body)) })
		req.Body = io.NopCloser(bytes.NewReader([]byte(`{"domain":"e"}`)))
		send(t, req)
		if e := apperr.As(rc.last(t).err); e.Kind != apperr.Validation || !strings.Contains(e.Message, "x-amz-content-sha256") {
			t.Fatalf("tampered body with declared sha: %v; want a validation error naming x-amz-content-sha256", rc.last(t).err)
		}
	})
	t.Run("tampered query", func(t *testing.T) {
		req := sign(t, testCred, "POST", url, body, signedAt, nil)
		req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "domain=d", "domain=x", 1)
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "does not match")
	})
	t.Run("tampered path", func(t *testing.T) {
		req := sign(t, testCred, "POST", url, body, signedAt, nil)
		req.URL.Path = "/v1/domains"
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "does not match")
	})
	t.Run("tampered signed header", func(t *testing.T) {
		req := sign(t, testCred, "POST", url, body, signedAt, func(r *http.Request) { r.Header.Set("X-Amz-Target", "a") })
		req.Header.Set("X-Amz-Target", "b")
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonInvalidSignature, "does not match")
	})
	t.Run("missing", func(t *testing.T) {
		req, _ := http.NewRequest("GET", url, nil)
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonMissingToken, "Missing Authentication Token")
	})
	for _, garbage := range []string{
		"garbage",
		"Bearer abc",
		"AWS4-HMAC-SHA256 garbage",
		"AWS4-HMAC-SHA256 Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/codeartifact/aws4_request, Signature=" + strings.Repeat("0", 64),
		"AWS4-HMAC-SHA256 Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64),
		"AWS4-HMAC-SHA256 Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/codeartifact/aws4_request, SignedHeaders=x-amz-date, Signature=" + strings.Repeat("0", 64),
		"AWS4-HMAC-SHA256 Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature=xyz",
	} {
		t.Run("garbage "+garbage, func(t *testing.T) {
			req, _ := http.NewRequest("GET", url, nil)
			req.Header.Set("Authorization", garbage)
			req.Header.Set("X-Amz-Date", "20250304T050607Z")
			send(t, req)
			wantRefused(t, rc.last(t).err, ReasonIncompleteSignature, "")
		})
	}
	t.Run("no date", func(t *testing.T) {
		req := sign(t, testCred, "GET", url, nil, signedAt, nil)
		req.Header.Del("X-Amz-Date")
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonIncompleteSignature, "'X-Amz-Date' or a 'Date' header")
	})
	t.Run("streaming payload", func(t *testing.T) {
		req := sign(t, testCred, "PUT", url, body, signedAt, func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
		})
		send(t, req)
		wantRefused(t, rc.last(t).err, ReasonIncompleteSignature, "not supported")
	})
}

func TestVerifyClockSkew(t *testing.T) {
	keys := newFakeKeys(testKey)
	body := []byte(`{}`)
	for _, c := range []struct {
		offset time.Duration // server clock minus signing time
		msg    string        // "" means accepted
	}{
		{14 * time.Minute, ""},
		{-14 * time.Minute, ""},
		{16 * time.Minute, "Signature expired: 20250304T050607Z is now earlier than 20250304T050707Z (20250304T052207Z - 15 min.)"},
		{-16 * time.Minute, "Signature not yet current: 20250304T050607Z is still later than 20250304T050507Z (20250304T045007Z + 15 min.)"},
	} {
		srv, rc := verifyServer(t, fixedVerifier(keys, signedAt.Add(c.offset)), nil)
		send(t, sign(t, testCred, "POST", srv.URL+"/v1/domains", body, signedAt, nil))
		s := rc.last(t)
		if c.msg == "" {
			wantOK(t, s)
			continue
		}
		wantRefused(t, s.err, ReasonInvalidSignature, c.msg)
		if QueryErrorCode(apperr.As(s.err).Reason) != "SignatureDoesNotMatch" {
			t.Fatalf("expired signature maps to %q for STS", QueryErrorCode(apperr.As(s.err).Reason))
		}
	}
}

func TestVerifyKeyStoreFailureIsNotARefusal(t *testing.T) {
	r := httptest.NewRequest("GET", "http://wharf.test/v1/domains", nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCred, r, sha(nil), "codeartifact", "us-east-1", signedAt); err != nil {
		t.Fatal(err)
	}
	_, err := fixedVerifier(failingKeys{}, signedAt).Verify(r)
	if !errors.Is(err, errStoreDown) || apperr.Is(err, apperr.Unauthenticated) {
		t.Fatalf("store failure surfaced as %v", err)
	}
}

var errStoreDown = errors.New("store down")

type failingKeys struct{}

func (failingKeys) GetAccessKey(context.Context, string) (model.AccessKey, error) {
	return model.AccessKey{}, errStoreDown
}

func TestQueryErrorCode(t *testing.T) {
	for in, want := range map[string]string{
		ReasonUnrecognizedClient:  "InvalidClientTokenId",
		ReasonInvalidSignature:    "SignatureDoesNotMatch",
		ReasonMissingToken:        "MissingAuthenticationToken",
		ReasonIncompleteSignature: "IncompleteSignature",
		"SomethingElse":           "SomethingElse",
	} {
		if got := QueryErrorCode(in); got != want {
			t.Errorf("QueryErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServiceOf(t *testing.T) {
	r := sign(t, testCred, "GET", "http://wharf.test/v1/domains", nil, signedAt, nil)
	if svc, region, ok := ServiceOf(r); !ok || svc != "codeartifact" || region != "us-east-1" {
		t.Fatalf("header: %q %q %v", svc, region, ok)
	}
	req, _ := http.NewRequest("GET", "http://wharf.test/?Action=GetCallerIdentity", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCred, req, sha(nil), "sts", "eu-west-2", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	if svc, region, ok := ServiceOf(httptest.NewRequest("GET", u, nil)); !ok || svc != "sts" || region != "eu-west-2" {
		t.Fatalf("query: %q %q %v", svc, region, ok)
	}
	for _, h := range []string{"", "Bearer x", "AWS4-HMAC-SHA256 Credential=a/b"} {
		r := httptest.NewRequest("GET", "http://wharf.test/", nil)
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if _, _, ok := ServiceOf(r); ok {
			t.Fatalf("ServiceOf(%q) ok", h)
		}
	}
}

// The derived signing key is remembered per key id, day, region and service,
// but always for the secret it came from: once a key id's secret changes, a
// request signed with the old secret is refused and one signed with the new
// secret accepted, on the same verifier.
func TestVerifySigningKeyFollowsTheSecret(t *testing.T) {
	keys := newFakeKeys(testKey)
	srv, rc := verifyServer(t, fixedVerifier(keys, signedAt.Add(time.Minute)), nil)
	body := []byte(`{}`)
	for range 2 { // the second from the cache
		send(t, sign(t, testCred, "POST", srv.URL+"/v1/domains", body, signedAt, nil))
		wantOK(t, rc.last(t))
	}
	rotated := testKey
	rotated.SecretAccessKey = "a-new-secret-for-the-same-key-id/0123"
	if err := keys.PutAccessKey(context.Background(), rotated); err != nil {
		t.Fatal(err)
	}
	send(t, sign(t, testCred, "POST", srv.URL+"/v1/domains", body, signedAt, nil))
	if s := rc.last(t); s.err == nil {
		t.Fatal("a request signed with the replaced secret was accepted")
	}
	newCred := aws.Credentials{AccessKeyID: rotated.AccessKeyID, SecretAccessKey: rotated.SecretAccessKey}
	for range 2 {
		send(t, sign(t, newCred, "POST", srv.URL+"/v1/domains", body, signedAt, nil))
		wantOK(t, rc.last(t))
	}
}
