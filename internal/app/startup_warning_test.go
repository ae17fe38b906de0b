package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A wharf started without the upstream URL of a connection its repositories
// hold says so in its start-up log.
func TestStartupWarnsAboutConnectionsWithoutUpstream(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("py-store")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("py-store"), ExternalConnection: aws.String("public:pypi")}))
	srv.Stop()

	env := map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": apptest.AccessKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY": apptest.SecretAccessKey}
	cfg, err := config.ParseServe([]string{"--listen", "127.0.0.1:0", "--data-dir", srv.DataDir}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	want := "repository py-store in domain acme (owner " + apptest.Account + "): the external connection public:pypi has no upstream URL configured; start wharf with --upstream public:pypi=URL"
	if !strings.Contains(logs.String(), want) || !strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("start-up log lacks the warning:\n%s", logs.String())
	}
}

// Associating an external connection that has no upstream URL warns in the
// log at once, naming the repository, the connection and what to do.
func TestAssociationWarnsAboutConnectionWithoutUpstream(t *testing.T) {
	env := map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": apptest.AccessKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY": apptest.SecretAccessKey}
	cfg, err := config.ParseServe([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir()}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	srv := &apptest.Server{URL: "http://" + a.Addr(), App: a}
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("gem-store")}))
	before := logs.String()
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("gem-store"), ExternalConnection: aws.String("public:ruby-gems-org")}))
	got := strings.TrimPrefix(logs.String(), before)
	for _, want := range []string{"level=WARN", "external connection associated without an upstream URL", "repository=gem-store", "external_connection=public:ruby-gems-org", "--upstream public:ruby-gems-org=URL"} {
		if !strings.Contains(got, want) {
			t.Fatalf("the association's log lacks %q:\n%s", want, got)
		}
	}
}
