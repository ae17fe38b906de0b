package plainquery

import (
	"net/url"
	"testing"
)

// check holds Get to url.Values for every name a query could be asked for.
func check(t *testing.T, raw string) {
	t.Helper()
	if !Is(raw) {
		return
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("%q: Is says plain, url.ParseQuery fails: %v", raw, err)
	}
	names := []string{"domain", "repository", "domain-owner", "a", "", "X-Amz-Credential"}
	for k := range q {
		names = append(names, k)
	}
	for _, name := range names {
		v, has := Get(raw, name)
		if v != q.Get(name) || has != q.Has(name) {
			t.Fatalf("%q: Get(%q) = %q, %v; url.Values: %q, %v", raw, name, v, has, q.Get(name), q.Has(name))
		}
	}
}

func TestGetAgreesWithURLValues(t *testing.T) {
	for _, raw := range []string{"", "domain=hot&repository=js", "domain=a&domain=b", "domain", "domain=", "=x&a=1", "&&a=2&",
		"a=1&a=2&domain-owner=000000000000", "a==b", "X-Amz-Credential=AKIA/20250304/us-east-1/sts/aws4_request"} {
		if !Is(raw) {
			t.Fatalf("%q is plain", raw)
		}
		check(t, raw)
	}
	for _, raw := range []string{"domain=h%6Ft", "domain=a+b", "domain=a;b&repository=r", "domain=%zz"} {
		if Is(raw) {
			t.Fatalf("%q needs decoding: not plain", raw)
		}
	}
}

func FuzzGet(f *testing.F) {
	f.Add("domain=hot&repository=js")
	f.Add("domain=a;b&a=%41")
	f.Add("a&=&==&a=1")
	f.Fuzz(check)
}
