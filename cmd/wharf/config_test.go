package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine to write while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// countingRegistry answers every npm packument request with 404 and counts them.
func countingRegistry(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestConfigFileDrivesServe: `wharf serve --config FILE` takes listen, data
// dir, upstream URLs and more from the file; SIGHUP switches the upstream URL
// without a restart; a bad file stops start-up with its line number.
func TestConfigFileDrivesServe(t *testing.T) {
	regA, countA := countingRegistry(t)
	regB, countB := countingRegistry(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "wharf.yaml")
	writeCfg := func(upstreamURL string) {
		body := "# written by the test\nlisten: 127.0.0.1:0\ndata-dir: " + filepath.Join(dir, "data") + "\nlog-format: json\nnegative-ttl: 1ns\nmetadata-ttl: 1ns\n" +
			"upstream:\n  public:npmjs: " + upstreamURL + "/\n"
		if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg(regA.URL)
	var out, errb bytes.Buffer
	if code := run([]string{"config", "check", cfgPath}, &out, &errb); code != 0 || !strings.Contains(out.String(), "ok") {
		t.Fatalf("config check: %d %s %s", code, out.String(), errb.String())
	}

	t.Setenv("WHARF_ROOT_ACCESS_KEY_ID", "AKIAWHARFCONFIGTEST1")
	t.Setenv("WHARF_ROOT_SECRET_ACCESS_KEY", "config-test-secret-0123456789")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run([]string{"serve", "--config", cfgPath}, stdout, stderr) }()
	var base string
	addr := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	for deadline := time.Now().Add(time.Minute); base == ""; {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("wharf did not start:\n%s\n%s", stdout.String(), stderr.String())
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT) // NotifyContext in serve catches it
		if code := <-done; code != 0 {
			t.Errorf("serve exit code %d:\n%s", code, stderr.String())
		}
	}()
	if _, err := os.Stat(filepath.Join(dir, "data", "wharf.db")); err != nil {
		t.Fatalf("data-dir from the file not used: %v", err)
	}
	// Info lines reach stderr in batches (internal/logbuf): within a tenth of
	// a second; ten seconds is the safety net.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), `"msg":"wharf is serving"`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("log-format json from the file not used:\n%s", stderr.String())
		}
	}

	ctx := context.Background()
	ca := codeartifact.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(base), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIAWHARFCONFIGTEST1", "config-test-secret-0123456789", "")})
	for _, f := range []func() error{
		func() error {
			_, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("cfg")})
			return err
		},
		func() error {
			_, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("cfg"), Repository: aws.String("store")})
			return err
		},
		func() error {
			_, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("cfg"), Repository: aws.String("store"), ExternalConnection: aws.String("public:npmjs")})
			return err
		},
		func() error {
			_, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("cfg"), Repository: aws.String("app"),
				Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("store")}}})
			return err
		},
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("cfg")})
	if err != nil {
		t.Fatal(err)
	}
	get := func(pkg string) int {
		req, _ := http.NewRequest(http.MethodGet, base+"/cfg-000000000000/npm/app/"+pkg, nil)
		req.Header.Set("Authorization", "Bearer "+*tok.AuthorizationToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get("pkg-a"); s != http.StatusNotFound || countA.Load() == 0 || countB.Load() != 0 {
		t.Fatalf("before reload: status %d, registry A %d requests, B %d", s, countA.Load(), countB.Load())
	}

	writeCfg(regB.URL)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for i := 0; countB.Load() == 0; i++ {
		get("pkg-b" + strings.Repeat("x", i%50))
		if i > 5000 {
			t.Fatalf("after SIGHUP the new upstream URL was never used:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "configuration reloaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // Info lines come in batches (internal/logbuf)
			t.Fatalf("no reload logged:\n%s", stderr.String())
		}
	}
}

func TestServeRefusesBadConfigFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "wharf.yaml")
	if err := os.WriteFile(p, []byte("listen: 127.0.0.1:0\n# a typo follows\ndata-dri: /tmp/x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"serve", "--config", p}, &out, &errb); code != 2 || !strings.Contains(errb.String(), p+`:3: unknown key "data-dri"`) {
		t.Fatalf("serve with a bad file: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"config", "check", p}, &out, &errb); code != 1 || !strings.Contains(errb.String(), p+":3:") {
		t.Fatalf("config check: %d %q", code, errb.String())
	}
}
