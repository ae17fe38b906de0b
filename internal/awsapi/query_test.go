package awsapi

import (
	"net/http/httptest"
	"testing"
)

// checkQuery holds Request's reading of a query to url.Values' for the
// names an operation reads.
func checkQuery(t *testing.T, raw string) {
	t.Helper()
	r := httptest.NewRequest("GET", "http://wharf.test/v1/repository", nil)
	r.URL.RawQuery = raw
	req := newRequest(nil, r)
	q := r.URL.Query()
	for _, name := range []string{"domain", "repository", "domain-owner", "a", "", "max-results"} {
		if got, want := req.Query(name), q.Get(name); got != want {
			t.Fatalf("%q: Query(%q) = %q, url.Values says %q", raw, name, got, want)
		}
		if got, want := req.Has(name), q.Has(name); got != want {
			t.Fatalf("%q: Has(%q) = %v, url.Values says %v", raw, name, got, want)
		}
	}
}

func TestQueryReadInPlaceAsDecoded(t *testing.T) {
	for _, raw := range []string{"", "domain=hot&repository=js", "domain=a&domain=b", "domain", "domain=", "=x&a=1", "&&a=2&",
		"domain=h%6Ft", "domain=a+b", "domain=a;b&repository=r", "domain=%zz&repository=r", "a=1&a=2&domain-owner=000000000000"} {
		checkQuery(t, raw)
	}
}

func FuzzPlainQuery(f *testing.F) {
	f.Add("domain=hot&repository=js")
	f.Add("domain=a;b&a=%41")
	f.Fuzz(checkQuery)
}
