package auth

import (
	"net/http"
	"net/textproto"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/plainquery"
)

// The canonical request as it was built before it was written into one
// buffer (each part its own string, the query through url.Values): the
// reference the buffer-building code is held to, byte for byte.
func refCanonicalRequestPrefix(r *http.Request, sr sigRequest) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if sr.service != "s3" {
		path = refURIEncode(path, false)
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(refCanonicalQuery(r.URL.Query(), sr.presigned))
	b.WriteByte('\n')
	for _, name := range strings.Split(sr.signedHeaders, ";") {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(refCanonicalHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(sr.signedHeaders)
	b.WriteByte('\n')
	return b.String()
}

func refCanonicalQuery(q url.Values, presigned bool) string {
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(q))
	for k, vs := range q {
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		ek := refURIEncode(k, true)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, refURIEncode(v, true)})
		}
	}
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

func refURIEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
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

func refCanonicalHeaderValue(r *http.Request, name string) string {
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
		v = strings.TrimSpace(v)
		for strings.Contains(v, "  ") {
			v = strings.ReplaceAll(v, "  ", " ")
		}
		out[i] = v
	}
	return strings.Join(out, ",")
}

// canonicalCase builds a request the way net/http's server hands one over
// (headers under their canonical keys, Host and Transfer-Encoding moved out).
func canonicalCase(t testing.TB, method, rawPath, rawQuery, hdrName, hdrValue, signedHeaders string, presigned bool, service string) (*http.Request, sigRequest, bool) {
	u, err := url.Parse("http://wharf.test" + rawPath)
	if err != nil || u.Host != "wharf.test" {
		return nil, sigRequest{}, false
	}
	u.RawQuery = rawQuery
	r := &http.Request{Method: method, URL: u, Host: "wharf.test:8080", Header: http.Header{}, ContentLength: int64(len(hdrValue))}
	r.Header.Set("X-Amz-Date", "20250304T050607Z")
	r.Header.Add("X-Amz-Meta", "  two  ")
	r.Header.Add("X-Amz-Meta", "values   here ")
	if hdrName != "" {
		r.Header[hdrName] = append(r.Header[hdrName], hdrValue)
		r.Header[textproto.CanonicalMIMEHeaderKey(hdrName)] = append(r.Header[textproto.CanonicalMIMEHeaderKey(hdrName)], hdrValue)
	}
	r.TransferEncoding = []string{"chunked"}
	return r, sigRequest{signedHeaders: signedHeaders, presigned: presigned, service: service}, true
}

func TestCanonicalRequestMatchesReference(t *testing.T) {
	for _, c := range []struct{ path, query, signed string }{
		{"/v1/repository", "domain=hot&repository=js", "amz-sdk-invocation-id;amz-sdk-request;host;x-amz-date"},
		{"/v1/package/version/asset", "asset=a%20b.tgz&domain=d&format=npm&package=%40s%2Fp&version=1.0.0&namespace=", "host;x-amz-date;x-amz-meta"},
		{"/a b/%41", "b=2&a=1&a=0&a-b=3&=x&&y", "content-length;host;transfer-encoding;x-amz-meta"},
		{"/", "X-Amz-Signature=abc&X-Amz-Date=1;2&k=a+b", "host"},
		{"", strings.Repeat("k=v&", 40), "host;x-amz-date"},
		{"/ü/x", "%zz=1&ok=%C3%BC", "Host;x-amz-date;weird name"},
	} {
		for _, presigned := range []bool{false, true} {
			r, sr, ok := canonicalCase(t, "GET", c.path, c.query, "", "", c.signed, presigned, "codeartifact")
			if !ok {
				t.Fatalf("bad case %q", c.path)
			}
			if got, want := canonicalRequestPrefix(r, sr), refCanonicalRequestPrefix(r, sr); got != want {
				t.Errorf("%q %q presigned=%v:\n got %q\nwant %q", c.path, c.query, presigned, got, want)
			}
		}
	}
}

// FuzzCanonicalRequest holds the canonical request built into one buffer
// (the plain-query fast path, headers looked up without building their
// keys) to the reference built part by part through url.Values: whatever
// the path, query, header names and values, they agree byte for byte.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("GET", "/v1/repository", "domain=hot&repository=js", "Amz-Sdk-Request", "attempt=1; max=1", "amz-sdk-request;host;x-amz-date", false, "codeartifact")
	f.Add("POST", "/", "Action=GetCallerIdentity&X-Amz-Signature=0&X-Amz-Credential=a", "x-amz-target", " a  b ", "host;x-amz-target;transfer-encoding", true, "sts")
	f.Add("PUT", "/a%20b/c", "a=1&a=1;&b=%2", "Content-Length", "12", "content-length;host", false, "s3")
	f.Fuzz(func(t *testing.T, method, rawPath, rawQuery, hdrName, hdrValue, signedHeaders string, presigned bool, service string) {
		r, sr, ok := canonicalCase(t, method, rawPath, rawQuery, hdrName, hdrValue, signedHeaders, presigned, service)
		if !ok {
			return
		}
		if got, want := canonicalRequestPrefix(r, sr), refCanonicalRequestPrefix(r, sr); got != want {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
		// What parseSignature and ServiceOf read of the query agrees with url.Values.
		if plainquery.Is(rawQuery) {
			q := r.URL.Query()
			for _, k := range []string{"X-Amz-Credential", "X-Amz-Algorithm", "k", ""} {
				v, has := plainquery.Get(rawQuery, k)
				if has != q.Has(k) || v != q.Get(k) {
					t.Fatalf("plainquery.Get(%q, %q) = %q, %v; url.Values: %q, %v", rawQuery, k, v, has, q.Get(k), q.Has(k))
				}
			}
		}
	})
}
