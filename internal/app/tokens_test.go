package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/model"
)

func tokenFor(t *testing.T, ca *codeartifact.Client, domain string) string {
	t.Helper()
	out, err := ca.GetAuthorizationToken(context.Background(), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.AuthorizationToken
}

// A token issued before DeleteDomain does not open the domain created again
// under the same name.
func TestTokenDoesNotOutliveItsDomain(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	create := func() {
		must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("again")}))
		must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("again"), Repository: aws.String("rr")}))
	}
	create()
	url := srv.URL + "/again-" + model.DefaultAccount + "/npm/rr/left-pad"
	old := tokenFor(t, ca, "again")
	if st := get(t, url, old); st != http.StatusNotFound {
		t.Fatalf("fresh token on a missing package: %d, want 404", st)
	}
	must(ca.DeleteRepository(ctx, &codeartifact.DeleteRepositoryInput{Domain: aws.String("again"), Repository: aws.String("rr")}))
	must(ca.DeleteDomain(ctx, &codeartifact.DeleteDomainInput{Domain: aws.String("again")}))
	if st := get(t, url, old); st != http.StatusUnauthorized {
		t.Fatalf("token of a deleted domain: %d, want 401", st)
	}
	create()
	if st := get(t, url, old); st != http.StatusUnauthorized {
		t.Fatalf("token of the deleted domain on its namesake: %d, want 401", st)
	}
	if st := get(t, url, tokenFor(t, ca, "again")); st != http.StatusNotFound {
		t.Fatalf("new token: %d, want 404", st)
	}
}

// npm ping answers the same without a token whether the repository, its domain
// or its account exist or not.
func TestAnonymousPingRevealsNothing(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("ping")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("ping"), Repository: aws.String("real")}))
	answer := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	want := answer("/ping-" + model.DefaultAccount + "/npm/real/-/ping")
	for _, p := range []string{
		"/ping-" + model.DefaultAccount + "/npm/missing/-/ping",
		"/nodomain-" + model.DefaultAccount + "/npm/real/-/ping",
		"/ping-111122223333/npm/real/-/ping",
	} {
		if got := answer(p); got != want {
			t.Errorf("%s answers %q; an existing repository answers %q", p, got, want)
		}
	}
	if want[:3] != "200" {
		t.Errorf("ping answers %q, want 200", want)
	}
}

// Expired tokens are purged in bounded rounds; live ones stay.
func TestExpiredTokensArePurged(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	st := srv.App.Store()
	// The tokens expire an hour from now and the purge is run as of two hours
	// from now: the server's own purge at start (as of the real time) runs
	// concurrently with the inserts and must find none of them expired.
	now := time.Now().Add(2 * time.Hour)
	for i := range 1500 {
		if err := st.PutToken(ctx, model.AuthToken{Hash: fmt.Sprintf("expired-%d", i), DomainOwner: model.DefaultAccount, DomainName: "d",
			ExpiresAt: now.Add(-time.Hour), CreatedAt: now.Add(-3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutToken(ctx, model.AuthToken{Hash: "live", DomainOwner: model.DefaultAccount, DomainName: "d", ExpiresAt: now.Add(time.Hour), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if n := srv.App.PurgeTokensOnce(ctx, now); n != 1500 {
		t.Fatalf("purged %d, want 1500", n)
	}
	if _, err := st.GetToken(ctx, "live"); err != nil {
		t.Fatalf("live token: %v", err)
	}
	if _, err := st.GetToken(ctx, "expired-7"); err == nil {
		t.Fatal("an expired token survived the purge")
	}
}
