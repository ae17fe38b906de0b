package auth

import (
	"net/http/httptest"
	"testing"
)

// TestTokenFromNuGetAPIKey: `dotnet nuget push --api-key TOKEN` sends the
// token in X-NuGet-ApiKey; an Authorization header (the source's
// credentials) wins over it, and an empty key is no token.
func TestTokenFromNuGetAPIKey(t *testing.T) {
	r := httptest.NewRequest("PUT", "/x", nil)
	r.Header.Set("X-NuGet-ApiKey", "tok1")
	if got, ok := TokenFromRequest(r); !ok || got != "tok1" {
		t.Errorf("api key only: %q %v", got, ok)
	}
	r.Header.Set("Authorization", "Bearer tok2")
	if got, ok := TokenFromRequest(r); !ok || got != "tok2" {
		t.Errorf("both: %q %v, want the Authorization token", got, ok)
	}
	r = httptest.NewRequest("PUT", "/x", nil)
	r.Header.Set("X-NuGet-ApiKey", "  ")
	if _, ok := TokenFromRequest(r); ok {
		t.Error("blank api key taken as a token")
	}
}
