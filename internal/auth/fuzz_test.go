package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// refusalKinds are the only errors Verify may return for bad input.
func wantRefusalKind(t *testing.T, err error) {
	t.Helper()
	switch apperr.KindOf(err) {
	case apperr.Unauthenticated, apperr.Validation, apperr.TooLarge:
	default:
		t.Fatalf("Verify failed with kind %v: %v", apperr.KindOf(err), err)
	}
}

// FuzzVerifyAuthorizationHeader feeds arbitrary Authorization, X-Amz-Date and
// X-Amz-Content-Sha256 headers and bodies to Verify. Invariants: no panic; only
// refusal kinds; nothing accepted that the real signer did not sign; a body
// handed on reads back as sent; ServiceOf agrees with a parsed credential.
func FuzzVerifyAuthorizationHeader(f *testing.F) {
	body := []byte(`{"domain":"d"}`)
	good := httptest.NewRequest("POST", "http://wharf.test/v1/domain?domain=d", bytes.NewReader(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), testCred, good, sha(body), "codeartifact", "us-east-1", signedAt); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Header.Get("Authorization"), good.Header.Get("X-Amz-Date"), "", string(body))
	f.Add(good.Header.Get("Authorization"), good.Header.Get("X-Amz-Date"), sha(body), string(body))
	f.Add(good.Header.Get("Authorization"), good.Header.Get("X-Amz-Date"), "UNSIGNED-PAYLOAD", string(body))
	f.Add(good.Header.Get("Authorization"), good.Header.Get("X-Amz-Date"), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "")
	f.Add("AWS4-HMAC-SHA256 Credential="+testKey.AccessKeyID+"/20250304/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64), "20250304T050607Z", sha(nil), "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,,SignedHeaders=,Signature=zz", "x", "zz", "x")
	f.Add("Bearer x", "", "", "")
	if a := good.Header.Get("Authorization"); true { // the genuine signature in capitals: another signature
		i := strings.Index(a, "Signature=") + len("Signature=")
		f.Add(a[:i]+strings.ToUpper(a[i:]), good.Header.Get("X-Amz-Date"), sha(body), string(body))
	}
	f.Add("AWS4-HMAC-SHA256 Credential="+testKey.AccessKeyID+"/20250304/eu-west-1/sts/aws4_request, SignedHeaders=content-length;host;transfer-encoding;x-amz-date, Signature="+strings.Repeat("a", 64), "20250304T050607Z", "", strings.Repeat("y", 2000))
	if a := good.Header.Get("Authorization"); true { // the genuine fields with a second Credential, or one more field
		stsScope := "Credential=" + testKey.AccessKeyID + "/20250304/us-east-1/sts/aws4_request, "
		f.Add(strings.Replace(a, "Credential=", stsScope+"Credential=", 1), good.Header.Get("X-Amz-Date"), sha(body), string(body))
		f.Add(a+", X=y", good.Header.Get("X-Amz-Date"), sha(body), string(body))
		f.Add(strings.ReplaceAll(a, ", ", ","), good.Header.Get("X-Amz-Date"), sha(body), string(body))
	}
	v := fixedVerifier(newFakeKeys(testKey), signedAt)
	v.Region = "us-east-1"
	v.MaxUnsignedBody = 1024
	v.MaxBodyBytes = 4096
	f.Fuzz(func(t *testing.T, authz, amzDate, contentSHA, payload string) {
		r := httptest.NewRequest("POST", "http://wharf.test/v1/domain?domain=d", strings.NewReader(payload))
		r.Header.Set("Authorization", authz)
		r.Header.Set("X-Amz-Date", amzDate)
		if contentSHA != "" {
			r.Header.Set("X-Amz-Content-Sha256", contentSHA)
		}
		res, err := v.Verify(r)
		if sr, parseErr := parseSignature(r); parseErr == nil {
			if svc, region, ok := ServiceOf(r); !ok || svc != sr.service || region != sr.region {
				t.Fatalf("parseSignature read %q as %s/%s, ServiceOf as %s/%s (%v)", authz, sr.service, sr.region, svc, region, ok)
			}
		}
		if err != nil {
			wantRefusalKind(t, err)
			return
		}
		// Accepted: only the genuine request (the signature is over method, path,
		// query, host, date and this body) can be. The Authorization header
		// itself is not signed: white space around its commas and the order of
		// its fields mean nothing, so it must hold the signer's fields, each
		// once, and nothing else.
		if !sameAuthorizationFields(authz, good.Header.Get("Authorization")) || res.AccessKeyID != testKey.AccessKeyID {
			t.Fatalf("accepted a request the signer did not sign: %q", authz)
		}
		got, rerr := io.ReadAll(r.Body)
		if rerr == nil && string(got) != payload {
			t.Fatalf("handler would read %q, sent %q", got, payload)
		}
		if rerr == nil && string(got) != string(body) {
			t.Fatalf("accepted another body than the signed one: %q", got)
		}
	})
}

// sameAuthorizationFields reports whether two Authorization headers have the
// same algorithm and the same comma-separated fields, each once, whatever the
// white space around them and their order.
func sameAuthorizationFields(a, b string) bool {
	fields := func(h string) (string, map[string]int) {
		alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
		m := map[string]int{}
		for _, f := range strings.Split(rest, ",") {
			if f = strings.TrimSpace(f); f != "" {
				m[f]++
			}
		}
		return alg, m
	}
	algA, fa := fields(a)
	algB, fb := fields(b)
	if algA != algB || len(fa) != len(fb) {
		return false
	}
	for f, n := range fa {
		if n != 1 || fb[f] != 1 {
			return false
		}
	}
	return true
}

// FuzzVerifyPresignedQuery feeds arbitrary query strings (presigned URLs).
func FuzzVerifyPresignedQuery(f *testing.F) {
	req, _ := http.NewRequest("GET", "http://wharf.test/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=300", nil)
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), testCred, req, "UNSIGNED-PAYLOAD", "sts", "us-east-1", signedAt)
	if err != nil {
		f.Fatal(err)
	}
	good := u[strings.Index(u, "?")+1:]
	f.Add(good)
	f.Add(strings.Replace(good, "X-Amz-Expires=300", "X-Amz-Expires=999999999", 1))
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00")
	f.Add("X-Amz-Signature=&X-Amz-Credential=&X-Amz-Algorithm=")
	f.Add("%zz=1&X-Amz-Date=20250304T050607Z")
	v := fixedVerifier(newFakeKeys(testKey), signedAt.Add(time.Minute))
	v.Region = "us-east-1"
	f.Fuzz(func(t *testing.T, rawQuery string) {
		r := httptest.NewRequest("GET", "http://wharf.test/", nil)
		r.URL.RawQuery = rawQuery
		res, err := v.Verify(r)
		if err != nil {
			wantRefusalKind(t, err)
			return
		}
		if res.AccessKeyID != testKey.AccessKeyID || res.Service != "sts" {
			t.Fatalf("accepted %q as %+v", rawQuery, res)
		}
	})
}

// FuzzTokens feeds arbitrary Authorization headers to TokenFromRequest and
// whatever it extracts to Validate. Invariants: no panic; only the issued token
// validates; a token sent in any of the three shapes is extracted unchanged.
func FuzzTokens(f *testing.F) {
	st := &fakeTokens{}
	tk := &Tokens{Store: st, Now: func() time.Time { return signedAt }}
	issued, _, err := tk.Issue(context.Background(), testUser, nil, testDomain, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	for _, h := range []string{
		"Bearer " + issued, "Basic " + base64.StdEncoding.EncodeToString([]byte("aws:"+issued)), issued,
		"Bearer", "Basic", "Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("nocolon")),
		"bearer   " + issued + "  ", "Digest x", "wharf_" + strings.Repeat("A", 43), TokenPrefix,
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "http://wharf.test/", nil)
		r.Header.Set("Authorization", header)
		tok, found := TokenFromRequest(r)
		if found && tok == "" {
			t.Fatalf("found an empty token in %q", header)
		}
		at, err := tk.Validate(context.Background(), tok)
		switch {
		case err == nil && tok != issued:
			t.Fatalf("Validate accepted %q", tok)
		case err == nil && (at.DomainName != testDomain.Name || CheckDomain(at, testDomain) != nil):
			t.Fatalf("validated token lost its domain: %+v", at)
		case err != nil && tok == issued:
			t.Fatalf("the issued token was refused: %v", err)
		case err != nil && !apperr.Is(err, apperr.Unauthenticated):
			t.Fatalf("Validate failed with %v, want Unauthenticated", err)
		}
		// Any token without white space (as strings.TrimSpace sees it) or ':'
		// travels intact in every shape.
		if header == "" || strings.ContainsFunc(header, unicode.IsSpace) || strings.Contains(header, ":") ||
			strings.EqualFold(header, "bearer") || strings.EqualFold(header, "basic") {
			return
		}
		for _, shape := range []string{"Bearer " + header, "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+header)), header} {
			r.Header.Set("Authorization", shape)
			if got, ok := TokenFromRequest(r); !ok || got != header {
				t.Fatalf("%q gave %q, %v; want %q", shape, got, ok, header)
			}
		}
	})
}
