package awsapi

import "testing"

// GetOpenIDConnectProvider answers a Url without its scheme, as AWS does, but
// keeps the scheme where the URL has a port (not parseable without it).
func TestOIDCURLOut(t *testing.T) {
	for in, want := range map[string]string{
		"https://token.actions.example.com":         "token.actions.example.com",
		"https://issuer.example.com/tenant/v2":      "issuer.example.com/tenant/v2",
		"https://127.0.0.1:45675":                   "https://127.0.0.1:45675",
		"https://issuer.example.com:8443/tenant/v2": "https://issuer.example.com:8443/tenant/v2",
	} {
		if got := oidcURLOut(in); got != want {
			t.Errorf("oidcURLOut(%q) = %q, want %q", in, got, want)
		}
	}
}
