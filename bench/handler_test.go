package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// discard is a ResponseWriter that keeps the status and counts the body: the
// handler's own cost, without a socket.
type discard struct {
	h      http.Header
	status int
	n      int
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(code int)        { d.status = code }
func (d *discard) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// processCPU is this process's user+system CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkHotHandler calls wharf's HTTP handler directly (no network, no
// client) on the requests of bench/hotpath.sh: a cached 23 KB tarball and a
// 1,000-version packument (full, abbreviated, gzip, 304) with a Bearer token,
// and a SigV4-signed DescribeRepository. ns/op is wharf's CPU per request on
// this machine and cpu-ns/op the process's CPU time per request (less
// sensitive to a shared machine's load than ns/op), B/op and allocs/op exact; both A/B
// comparable between commits. apptest logs at warn level: the access log line
// (one per request in production) is not in these figures.
func BenchmarkHotHandler(b *testing.B) {
	srv := apptest.Start(b)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("hot")}); err != nil {
		b.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("hot"), Repository: aws.String("js")}); err != nil {
		b.Fatal(err)
	}
	ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("hot"), Repository: aws.String("js"), Format: types.PackageFormatNpm})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hot")})
	if err != nil {
		b.Fatal(err)
	}
	base := strings.TrimSuffix(aws.ToString(ep.RepositoryEndpoint), "/")
	bearer := "Bearer " + aws.ToString(tok.AuthorizationToken)
	put := func(name, version string, tarball []byte) {
		req, _ := http.NewRequest(http.MethodPut, base+"/"+name, strings.NewReader(npmPublishDoc(name, version, tarball)))
		req.Header.Set("Authorization", bearer)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			b.Fatalf("publish %s %s: %s", name, version, resp.Status)
		}
	}
	tarball := make([]byte, 23000)
	for i := range tarball {
		tarball[i] = byte(i * 7)
	}
	put("tb", "1.0.0", tarball)
	small := []byte(strings.Repeat("bench tarball bytes ", 100))
	for i := range 1000 {
		put("big", fmt.Sprintf("1.0.%d", i), small)
	}
	h := srv.App.Handler()
	const abbr = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
	get := func(path string, hdr ...string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", bearer)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req
	}
	serve := func(req *http.Request) *discard {
		d := &discard{h: http.Header{}}
		h.ServeHTTP(d, req)
		return d
	}
	etag := serve(get("/big")).h.Get("ETag")
	// A signed DescribeRepository, replayed: SigV4 has no replay protection
	// within its 15 minutes, and the verification is done in full every time.
	describe, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/repository?domain=hot&repository=js", http.NoBody)
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: apptest.AccessKeyID, SecretAccessKey: apptest.SecretAccessKey},
		describe, hex.EncodeToString(empty[:]), "codeartifact", apptest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	// The same requests by an IAM user (not the account root): its identity
	// policy is what allows them, so each decision also needs the user's
	// policies (memoized per IAM generation, internal/app/identity.go).
	iamc := srv.IAM()
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ci")}); err != nil {
		b.Fatal(err)
	}
	if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ci"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken",
		"codeartifact:ReadFromRepository","codeartifact:DescribeRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`)}); err != nil {
		b.Fatal(err)
	}
	ak, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("ci")})
	if err != nil {
		b.Fatal(err)
	}
	userKey, userSecret := aws.ToString(ak.AccessKey.AccessKeyId), aws.ToString(ak.AccessKey.SecretAccessKey)
	utok, err := srv.CodeArtifact(userKey, userSecret).GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hot")})
	if err != nil {
		b.Fatal(err)
	}
	userTarball := get("/tb/-/tb-1.0.0.tgz")
	userTarball.Header.Set("Authorization", "Bearer "+aws.ToString(utok.AuthorizationToken))
	userDescribe, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/repository?domain=hot&repository=js", http.NoBody)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: userKey, SecretAccessKey: userSecret},
		userDescribe, hex.EncodeToString(empty[:]), "codeartifact", apptest.Region, time.Now()); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"tarball-23KB", get("/tb/-/tb-1.0.0.tgz"), 200},
		{"packument-full", get("/big"), 200},
		{"packument-abbreviated", get("/big", "Accept", abbr), 200},
		{"packument-full-gzip", get("/big", "Accept-Encoding", "gzip"), 200},
		{"packument-abbreviated-gzip", get("/big", "Accept", abbr, "Accept-Encoding", "gzip"), 200},
		{"packument-304", get("/big", "If-None-Match", etag), 304},
		{"DescribeRepository-signed", describe, 200},
		{"tarball-23KB-iam-user", userTarball, 200},
		{"DescribeRepository-signed-iam-user", userDescribe, 200},
	} {
		if d := serve(c.req); d.status != c.status && !(d.status == 0 && c.status == 200) {
			b.Fatalf("%s: status %d, want %d", c.name, d.status, c.status)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			d := &discard{h: http.Header{}}
			cpu0 := processCPU()
			for b.Loop() {
				clear(d.h)
				h.ServeHTTP(d, c.req)
			}
			// CPU time, not wall time: on a shared machine the wall clock
			// also counts the time other processes held the cores.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}
