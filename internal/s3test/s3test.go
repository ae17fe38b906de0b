// Package s3test starts a real S3-compatible server (SeaweedFS's `weed
// server -s3`) for tests: on loopback, in a temporary directory, with its own
// access key, one bucket created, stopped when the test ends.
//
// The binary is found as e2e/tfmodule finds tofu: $WHARF_WEED, then the cache
// scripts/build-tools.sh fills (its --env output), then `weed` on PATH. A
// missing server fails the test (a broken setup is not a pass); only an
// explicit WHARF_SKIP_S3=1, a developer's choice and never CI's, skips it.
package s3test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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

// Region is the region the server is addressed in (SeaweedFS accepts any).
const Region = "us-east-1"

// Server is a running S3 server.
type Server struct {
	// Endpoint is http://127.0.0.1:PORT.
	Endpoint string
	// Port is the S3 port; Domain is the host-name suffix virtual-host
	// addressing uses ({bucket}.{Domain}:PORT), resolved by VirtualHostClient.
	Port   int
	Domain string
	// AccessKeyID and SecretAccessKey are the server's one identity (admin).
	AccessKeyID, SecretAccessKey string
	// Bucket exists and is empty.
	Bucket string
	Dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *bytes.Buffer
	mu     sync.Mutex
}

// Binary returns the path of the weed binary, or why there is none.
func Binary() (string, error) {
	if p := os.Getenv("WHARF_WEED"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("WHARF_WEED=%s is not an executable file", p)
		}
		return p, nil
	}
	if p := buildToolsEnv()["WHARF_WEED"]; p != "" && isExecutable(p) {
		return p, nil
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p, nil
	}
	return "", errors.New("no S3 server: WHARF_WEED is unset, scripts/build-tools.sh has not built SeaweedFS, and no weed is on PATH")
}

// Need fails the test (or, with WHARF_SKIP_S3=1, skips it) for a setup
// problem such as a missing server.
func Need(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("WHARF_SKIP_S3") == "1" {
		t.Skipf("WHARF_SKIP_S3=1: %v", err)
	}
	t.Fatalf("%v\nrun scripts/build-tools.sh and export what it prints (WHARF_WEED), or set WHARF_SKIP_S3=1 to skip locally", err)
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

// freePorts reserves n distinct loopback ports from the kernel and releases
// them for the server to bind: SeaweedFS's components tell each other their
// ports, so it cannot take port 0 itself.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports, nil
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
			t.Logf("SeaweedFS output (tail):\n%s", s.tail())
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
	s := &Server{
		AccessKeyID:     "WHARFS3" + strings.ToUpper(randomHex(6)),
		SecretAccessKey: randomHex(20),
		Bucket:          "wharf-test",
		Domain:          "s3.wharf.test",
		Dir:             dir,
		logs:            &bytes.Buffer{},
		exited:          make(chan struct{}),
	}
	cfg, _ := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "wharf",
		"credentials": []any{map[string]string{"accessKey": s.AccessKeyID, "secretKey": s.SecretAccessKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	cfgPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o700)
	p, err := freePorts(8)
	if err != nil {
		return nil, err
	}
	s.Port = p[6]
	s.Endpoint = "http://127.0.0.1:" + strconv.Itoa(s.Port)
	args := []string{"server",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-dir=" + data,
		"-master.port=" + strconv.Itoa(p[0]), "-master.port.grpc=" + strconv.Itoa(p[1]),
		"-master.telemetry=false", "-master.volumeSizeLimitMB=256",
		"-volume.port=" + strconv.Itoa(p[2]), "-volume.port.grpc=" + strconv.Itoa(p[3]), "-volume.max=0",
		"-filer", "-filer.port=" + strconv.Itoa(p[4]), "-filer.port.grpc=" + strconv.Itoa(p[5]),
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port=" + strconv.Itoa(p[6]), "-s3.port.grpc=" + strconv.Itoa(p[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config=" + cfgPath, "-s3.domainName=" + s.Domain,
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s, s
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	// Ready once the bucket can be created and written (the volume server
	// registers with the master a moment after the S3 port opens).
	ctx := context.Background()
	c := s.Client()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) { // a safety net only
		select {
		case <-s.exited:
			return nil, fmt.Errorf("SeaweedFS exited:\n%s", s.tail())
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
			return nil, fmt.Errorf("SeaweedFS at %s never became ready: %v\n%s", s.Endpoint, err, s.tail())
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
