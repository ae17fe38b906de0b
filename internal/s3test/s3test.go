// Package s3test starts a real S3-compatible server for tests: Versity's S3
// gateway (versitygw) over its POSIX backend, on loopback, in a temporary
// directory, with its own root access key, one bucket created, stopped when
// the test ends. Why versitygw and not SeaweedFS: docs/compatibility.md
// ("Which S3 server the tests use") and docs/tool-build.md.
//
// The binary is found as e2e/tfmodule finds tofu: $WHARF_VERSITYGW, then the
// cache scripts/build-tools.sh fills (its --env output), then `versitygw` on
// PATH. A missing server fails the test (a broken setup is not a pass); only
// an explicit WHARF_SKIP_S3=1, a developer's choice and never CI's, skips it.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region the server is addressed in (versitygw's default;
// SigV4 signatures name it).
const Region = "us-east-1"

// Server is a running S3 server.
type Server struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	// Port is the S3 port; Domain is the host-name suffix virtual-host
	// addressing uses ({bucket}.{Domain}:PORT), resolved by VirtualHostClient.
	Port   int
	Domain string
	// AccessKeyID and SecretAccessKey are the server's one identity (root).
	AccessKeyID, SecretAccessKey string
	// Bucket exists and is empty.
	Bucket string
	Dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *bytes.Buffer
	mu     sync.Mutex
}

// Binary returns the path of the versitygw binary, or why there is none.
func Binary() (string, error) {
	if p := os.Getenv("WHARF_VERSITYGW"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("WHARF_VERSITYGW=%s is not an executable file", p)
		}
		return p, nil
	}
	if p := buildToolsEnv()["WHARF_VERSITYGW"]; p != "" && isExecutable(p) {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	return "", errors.New("no S3 server: WHARF_VERSITYGW is unset, scripts/build-tools.sh has not built versitygw, and no versitygw is on PATH")
}

// Need fails the test (or, with WHARF_SKIP_S3=1, skips it) for a setup
// problem such as a missing server.
func Need(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("WHARF_SKIP_S3") == "1" {
		t.Skipf("WHARF_SKIP_S3=1: %v", err)
	}
	t.Fatalf("%v\nrun scripts/build-tools.sh and export what it prints (WHARF_VERSITYGW), or set WHARF_SKIP_S3=1 to skip locally", err)
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildToolsEnv asks scripts/build-tools.sh where it caches the tools (--env builds nothing).
func buildToolsEnv() map[string]string {
	out, err := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "build-tools.sh"), "--env").Output()
	m := map[string]string{}
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// freePort reserves a loopback port from the kernel and releases it for the
// server to bind: versitygw does not report the port it got for ":0". If
// another process takes the port meanwhile, the server exits and Launch
// tries another.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start starts a server with one bucket and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	dir := t.TempDir()
	s, err := Launch(dir)
	if err != nil {
		Need(t, err)
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output (tail):\n%s", s.tail())
		}
	})
	return s
}

// Launch starts a server keeping its data under dir (which the caller
// removes); Stop ends it.
func Launch(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a lost race for the port is retried; anything else fails at once
		s, err := launch(bin, dir, data)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !errors.Is(err, errExited) || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

var errExited = errors.New("versitygw exited")

func launch(bin, dir, data string) (*Server, error) {
	s := &Server{
		AccessKeyID:     "WHARFS3" + strings.ToUpper(randomHex(6)),
		SecretAccessKey: randomHex(20),
		Bucket:          "wharf-test",
		Domain:          "s3.wharf.test",
		Dir:             dir,
		logs:            &bytes.Buffer{},
		exited:          make(chan struct{}),
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s.Port = port
	s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(s.Port)
	s.cmd = exec.Command(bin,
		"--port", "127.0.0.1:"+strconv.Itoa(s.Port), "--region", Region,
		"--virtual-domain", s.Domain, "--quiet",
		"posix", data)
	s.cmd.Dir = dir
	// The root identity through the environment, not argv (ps shows argv).
	s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKeyID, "ROOT_SECRET_KEY="+s.SecretAccessKey)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	// Ready once the bucket can be created and written.
	ctx := context.Background()
	c := s.Client()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) { // a safety net only
		select {
		case <-s.exited:
			return nil, fmt.Errorf("%w:\n%s", errExited, s.tail())
		default:
		}
		_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.Bucket})
		if err == nil || strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") || strings.Contains(err.Error(), "BucketAlreadyExists") {
			if _, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: &s.Bucket, Key: aws.String(".ready"), Body: strings.NewReader("ok")}); err == nil {
				c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.Bucket, Key: aws.String(".ready")})
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("versitygw at %s never became ready: %v\n%s", s.Endpoint, err, s.tail())
		}
	}
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	s.cmd.Process.Kill()
	<-s.exited
}

// Tail is the end of what the server printed.
func (s *Server) Tail() string { return s.tail() }

// Write collects the server's output (io.Writer for the process).
func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logs.Len() > 1<<20 {
		s.logs.Next(s.logs.Len() - 512<<10)
	}
	return s.logs.Write(p)
}

func (s *Server) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.logs.Bytes()
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}

// Client is a path-style client of the server.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
	})
}

// VirtualHostClient addresses the server as {bucket}.{Domain}:PORT, dialling
// loopback for every such name (there is no DNS for them here).
func (s *Server) VirtualHostClient() *s3.Client {
	dialer := &net.Dialer{}
	addr := "127.0.0.1:" + strconv.Itoa(s.Port)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, host string) (net.Conn, error) {
		h, _, _ := net.SplitHostPort(host)
		// Only {bucket}.{Domain}: a request that fell back to path style
		// (host = Domain) fails, so the test proves virtual-host addressing.
		if h != s.Bucket+"."+s.Domain {
			return nil, fmt.Errorf("s3test: refusing to dial %s: not a virtual-host address of bucket %s", host, s.Bucket)
		}
		return dialer.DialContext(ctx, network, addr)
	}}
	return s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String("http://" + s.Domain + ":" + strconv.Itoa(s.Port)), UsePathStyle: false,
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, ""),
		HTTPClient:  &http.Client{Transport: tr},
	})
}
