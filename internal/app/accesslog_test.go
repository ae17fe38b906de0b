package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// Every request writes one access line at Info: its request id (the one the
// client got in X-Amzn-RequestId), method, path, status and bytes, and what
// the handler added (a signed call's principal).
func TestAccessLine(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": apptest.AccessKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY": apptest.SecretAccessKey}
	cfg, err := config.ParseServe([]string{"--listen", "127.0.0.1:0", "--data-dir", dir}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/acme-000000000000/npm/app/left-pad")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Amzn-RequestId")
	want := "level=INFO msg=request request_id=" + id + " method=GET path=/acme-000000000000/npm/app/left-pad status=401 bytes="
	if id == "" || !strings.Contains(logs.String(), want) {
		t.Fatalf("no access line %q in:\n%s", want, logs.String())
	}
	// The next request gets another id of the same shape (32 hex digits).
	resp, err = http.Get(srv.URL + "/acme-000000000000/npm/app/left-pad")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if id2 := resp.Header.Get("X-Amzn-RequestId"); id2 == id || len(id2) != 32 || strings.Trim(id2, "0123456789abcdef") != "" {
		t.Fatalf("request ids %q then %q: want two different 32-digit hex ids", id, id2)
	}

	ca := codeartifact.NewFromConfig(aws.Config{Region: apptest.Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: apptest.AccessKeyID, SecretAccessKey: apptest.SecretAccessKey}, nil
		})})
	if _, err := ca.CreateDomain(context.Background(), &codeartifact.CreateDomainInput{Domain: aws.String("acme")}); err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "method=POST path=/v1/domain") {
			line = l
		}
	}
	if !strings.Contains(line, " status=200 ") || !strings.Contains(line, " duration=") ||
		!strings.Contains(line, " principal=arn:aws:iam::"+apptest.Account+":root service=codeartifact") {
		t.Fatalf("the signed call's access line lacks its status, duration or principal: %q", line)
	}
}
