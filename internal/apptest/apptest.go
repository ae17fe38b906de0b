// Package apptest starts a real wharf in-process on a loopback port for tests,
// with known admin credentials, and builds SDK clients pointed at it.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/config"
)

// Test credentials of the default account's admin.
const (
	AccessKeyID     = "AKIAWHARFTESTADMIN01"
	SecretAccessKey = "wharf-test-secret-key-0123456789abcdefghij"
	Region          = "us-east-1"
	Account         = "000000000000"
)

// Server is a running in-process wharf.
type Server struct {
	URL     string
	DataDir string
	App     *app.App
	cancel  context.CancelFunc
	done    chan error
}

// Options adjust the server.
type Options struct {
	DataDir   string               // reuse a data directory (restart tests); default t.TempDir()
	Upstreams map[string]*url.URL  // external connection upstreams
	Mutate    func(*config.Config) // last-minute config changes
}

// Start starts wharf and stops it when the test ends.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", o.DataDir}
	for name, u := range o.Upstreams {
		args = append(args, "--upstream", name+"="+u.String())
	}
	env := map[string]string{"WHARF_ROOT_ACCESS_KEY_ID": AccessKeyID, "WHARF_ROOT_SECRET_ACCESS_KEY": SecretAccessKey}
	cfg, err := config.ParseServe(args, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cfg.ShutdownTimeout = 5 * time.Second
	if o.Mutate != nil {
		o.Mutate(cfg)
	}
	level := slog.LevelWarn
	if os.Getenv("WHARF_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(logWriter(t), &slog.HandlerOptions{Level: level}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("app.New: %v", err)
	}
	if err := a.Listen(); err != nil {
		cancel()
		t.Fatalf("listen: %v", err)
	}
	s := &Server{URL: "http://" + a.Addr(), DataDir: o.DataDir, App: a, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- a.Serve(ctx) }()
	waitHealthy(t, s.URL)
	t.Cleanup(s.Stop)
	return s
}

// Stop shuts the server down (idempotent).
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	<-s.done
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("wharf at %s did not become healthy", base)
}

// AWSConfig is an SDK config with the admin credentials (or the given key and
// secret, and session token).
func (s *Server) AWSConfig(keyAndSecret ...string) aws.Config {
	id, secret, token := AccessKeyID, SecretAccessKey, ""
	if len(keyAndSecret) >= 2 {
		id, secret = keyAndSecret[0], keyAndSecret[1]
	}
	if len(keyAndSecret) == 3 { // session credentials
		token = keyAndSecret[2]
	}
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, token),
		BaseEndpoint: aws.String(s.URL),
		// Fail fast in tests: no retries hide wrong status codes.
		RetryMaxAttempts: 1,
	}
}

// CodeArtifact is an SDK client for this server.
func (s *Server) CodeArtifact(keyAndSecret ...string) *codeartifact.Client {
	return codeartifact.NewFromConfig(s.AWSConfig(keyAndSecret...))
}

// IAM is an SDK IAM client for this server.
func (s *Server) IAM(keyAndSecret ...string) *iam.Client {
	return iam.NewFromConfig(s.AWSConfig(keyAndSecret...))
}

// STS is an SDK STS client for this server.
func (s *Server) STS(keyAndSecret ...string) *sts.Client {
	return sts.NewFromConfig(s.AWSConfig(keyAndSecret...))
}

type tlogWriter struct{ t testing.TB }

func (w tlogWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func logWriter(t testing.TB) io.Writer {
	if os.Getenv("WHARF_TEST_LOG") != "" {
		return tlogWriter{t}
	}
	return io.Discard
}
