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
