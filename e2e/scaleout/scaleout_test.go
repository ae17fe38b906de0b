// Package scaleout runs wharf in the production layout the README describes:
// three replicas behind a load balancer, on one PostgreSQL, blobs in one S3
// bucket (a real S3 server: versitygw), domain keys in a KMS (a second wharf
// serving the KMS API), all real processes. It shows the replicas act as one.
package scaleout

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/wharf-dev/wharf/internal/proctest"
	"github.com/wharf-dev/wharf/internal/s3test"
	"github.com/wharf-dev/wharf/internal/store/postgres/pgtest"
)

const (
	region = "us-east-1"
	// The KMS wharf answers in the replicas' own region and account, as AWS KMS does in
	// production: its keys are not in their database, so they are the KMS's.
	kmsRegion = region
	owner     = "000000000000"
	treeSize  = 24
)

func dsn(t *testing.T) string {
	if d := os.Getenv("WHARF_TEST_POSTGRES_DSN"); d != "" {
		return d
	}
	srv, err := pgtest.Start(context.Background())
	if err != nil {
		t.Fatalf("test PostgreSQL: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv.DSN("postgres")
}

// lb is the load balancer: round robin over the live replicas, keeping the
// Host header (SigV4 signs it) as a real load balancer does.
type lb struct {
	srv      *httptest.Server
	mu       sync.Mutex
	backends []*url.URL
	next     atomic.Uint64
}

func startLB(t *testing.T) *lb {
	l := &lb{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			l.mu.Lock()
			b := l.backends[int(l.next.Add(1))%len(l.backends)]
			l.mu.Unlock()
			r.SetURL(b)
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "load balancer: "+err.Error(), http.StatusBadGateway)
		},
	}
	l.srv = httptest.NewServer(rp)
	t.Cleanup(l.srv.Close)
	return l
}

func (l *lb) set(urls ...string) {
	var bs []*url.URL
	for _, u := range urls {
		p, _ := url.Parse(u)
		bs = append(bs, p)
	}
	l.mu.Lock()
	l.backends = bs
	l.mu.Unlock()
}

func signedClient(endpoint string) *codeartifact.Client {
	return codeartifact.New(codeartifact.Options{
		Region: region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(proctest.AccessKeyID, proctest.SecretAccessKey, ""),
		Retryer:     aws.NopRetryer{}, // a publish that failed must stay unacknowledged, not be retried elsewhere
	})
}

type cluster struct {
	lb       *lb
	replicas []*proctest.Proc
	kms      *kms.Client
	keyARN   string
	registry *registry
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startCluster starts PostgreSQL, the S3 server (versitygw), the KMS wharf, the fixture
// registry, the load balancer and three replicas configured as the README's
// "Production layout" says.
func startCluster(t *testing.T) *cluster {
	s3srv := s3test.Start(t)
	db := dsn(t)
	c := &cluster{registry: startRegistry(t, treeSize), lb: startLB(t)}

	// The KMS: a second wharf, serving the KMS API in its own region.
	kmsProc := proctest.Start(t, t.TempDir(), nil, "--region", kmsRegion)
	c.kms = kms.New(kms.Options{Region: kmsRegion, BaseEndpoint: aws.String(kmsProc.URL),
		Credentials: credentials.NewStaticCredentialsProvider(proctest.AccessKeyID, proctest.SecretAccessKey, "")})
	key, err := c.kms.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("wharf domain key")})
	must(t, err)
	c.keyARN = aws.ToString(key.KeyMetadata.Arn)

	// Credentials as a deployment gives them: one profile per service in the
	// SDK's shared files, no secrets on the command line.
	cfgDir := t.TempDir()
	creds := fmt.Sprintf("[s3]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n[kms]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		s3srv.AccessKeyID, s3srv.SecretAccessKey, proctest.AccessKeyID, proctest.SecretAccessKey)
	must(t, os.WriteFile(filepath.Join(cfgDir, "credentials"), []byte(creds), 0o600))
	must(t, os.WriteFile(filepath.Join(cfgDir, "config"), nil, 0o600))
	master := make([]byte, 32)
	rand.Read(master)
	must(t, os.WriteFile(filepath.Join(cfgDir, "master.key"), master, 0o600))
	env := []string{
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(cfgDir, "credentials"),
		"AWS_CONFIG_FILE=" + filepath.Join(cfgDir, "config"),
		"AWS_EC2_METADATA_DISABLED=true", // nothing but loopback here
		"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
	}
	args := []string{
		"--database", db,
		"--blobs", "s3://" + s3srv.Bucket + "/wharf",
		"--s3-endpoint", s3srv.Endpoint, "--s3-region", s3test.Region, "--s3-path-style", "--s3-profile", "s3",
		"--kms", "aws", "--kms-endpoint", kmsProc.URL, "--kms-region", kmsRegion, "--kms-profile", "kms",
		"--master-key-file", filepath.Join(cfgDir, "master.key"),
		"--public-url", c.lb.srv.URL,
		"--upstream", "public:npmjs=" + c.registry.srv.URL + "/",
	}
	// Started together: migrations run once (under an advisory lock).
	var wg sync.WaitGroup
	c.replicas = make([]*proctest.Proc, 3)
	for i := range c.replicas {
		wg.Go(func() { c.replicas[i] = proctest.Start(t, t.TempDir(), env, args...) })
	}
	wg.Wait()
	var urls []string
	for _, r := range c.replicas {
		if r == nil {
			t.FailNow()
		}
		urls = append(urls, r.URL)
	}
	c.lb.set(urls...)
	return c
}

func TestReplicasActAsOne(t *testing.T) {
	c := startCluster(t)
	ctx := context.Background()
	ca := signedClient(c.lb.srv.URL)

	// The layout the Terraform module builds, in a domain encrypted under the KMS key.
	_, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("corp"), EncryptionKey: aws.String(c.keyARN)})
	must(t, err)
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("corp"), Repository: aws.String("npm-store")})
	must(t, err)
	_, err = ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("corp"),
		Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")})
	must(t, err)
	_, err = ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("corp"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}})
	must(t, err)
	d, err := ca.DescribeDomain(ctx, &codeartifact.DescribeDomainInput{Domain: aws.String("corp")})
	must(t, err)
	if aws.ToString(d.Domain.EncryptionKey) != c.keyARN {
		t.Fatalf("domain key %s, want %s", aws.ToString(d.Domain.EncryptionKey), c.keyARN)
	}

	t.Run("TokensFromOneReplicaWorkOnAll", func(t *testing.T) { testTokens(t, c) })
	t.Run("NpmInstallFetchesEachColdAssetOnce", func(t *testing.T) { testInstall(t, c) })
	t.Run("DisabledKMSKeyFailsReadsUntilEnabled", func(t *testing.T) { testKMSKey(t, c) })
	t.Run("KillDuringPublishes", func(t *testing.T) { testKillDuringPublishes(t, c) })
}

func token(t *testing.T, endpoint string) string {
	out, err := signedClient(endpoint).GetAuthorizationToken(context.Background(), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("corp")})
	must(t, err)
	return aws.ToString(out.AuthorizationToken)
}

func get(t *testing.T, u, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp.StatusCode, b
}

func npmPath(repo string) string { return "/corp-" + owner + "/npm/" + repo + "/" }

// testTokens: a token issued by replica 1 is accepted by replicas 2 and 3
// (tokens are stored hashed in the shared database, not in a replica).
func testTokens(t *testing.T, c *cluster) {
	tok := token(t, c.replicas[0].URL)
	for i, r := range c.replicas[1:] {
		if st, b := get(t, r.URL+npmPath("app")+"dep-02", tok); st != http.StatusOK {
			t.Fatalf("replica %d refused replica 1's token: %d %s", i+2, st, b)
		}
	}
	if st, _ := get(t, c.replicas[2].URL+npmPath("app")+"dep-02", tok+"x"); st != http.StatusUnauthorized {
		t.Fatalf("a forged token got %d", st)
	}
}

// testInstall: three npm clients install the same 24-package tree through
// the load balancer at once, so each cold tarball is asked for by several
// replicas at the same time; the registry sees one fetch per tarball.
func testInstall(t *testing.T, c *cluster) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("npm is not installed: %v", err)
	}
	tok := token(t, c.lb.srv.URL)
	reg := c.lb.srv.URL + npmPath("app")
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := range 3 {
		wg.Go(func() {
			dir := t.TempDir()
			home := t.TempDir()
			rc := fmt.Sprintf("registry=%s\n%s:_authToken=%s\n", reg, strings.TrimPrefix(reg, "http:"), tok)
			os.WriteFile(filepath.Join(home, ".npmrc"), []byte(rc), 0o600)
			os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"app`+fmt.Sprint(i)+`","version":"1.0.0","dependencies":{"dep-01":"^1.0.0"}}`), 0o600)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a safety net only
			defer cancel()
			cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--cache", filepath.Join(home, "cache"))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "HOME="+home, "NPM_CONFIG_USERCONFIG="+filepath.Join(home, ".npmrc"),
				"NPM_CONFIG_GLOBALCONFIG="+filepath.Join(home, "global-npmrc"), "NPM_CONFIG_UPDATE_NOTIFIER=false")
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs <- fmt.Errorf("npm install %d: %v\n%s", i, err, out)
				return
			}
			for n := 1; n <= treeSize; n++ {
				if _, err := os.Stat(filepath.Join(dir, "node_modules", treeName(n), "package.json")); err != nil {
					errs <- fmt.Errorf("client %d: %s not installed: %v", i, treeName(n), err)
					return
				}
			}
			errs <- nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range c.registry.pkgs {
		if n := c.registry.count(p.tarballPath()); n != 1 {
			t.Errorf("%s fetched %d times from the registry, want once across the replicas", p.tarballPath(), n)
		}
		// Packuments too: the upstream cache is in PostgreSQL, and the lock
		// makes the replicas that missed it wait for the one fetching.
		if n := c.registry.count("/" + strings.Replace(p.name, "/", "%2f", 1)); n > 1 {
			t.Errorf("packument of %s fetched %d times from the registry, want once", p.name, n)
		}
	}
}

// testKMSKey: with the domain's key disabled in the KMS, reads through any
// replica fail and say why; enabled again, they succeed.
func testKMSKey(t *testing.T, c *cluster) {
	ctx := context.Background()
	tok := token(t, c.lb.srv.URL)
	p := c.registry.pkgs["dep-03"]
	tarball := c.lb.srv.URL + npmPath("app") + p.name + "/-/" + p.file()
	if st, b := get(t, tarball, tok); st != http.StatusOK || !bytes.Equal(b, p.tarball) {
		t.Fatalf("tarball before disabling the key: %d (%d bytes)", st, len(b))
	}
	_, err := c.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(c.keyARN)})
	must(t, err)
	for i, r := range c.replicas {
		for _, u := range []string{r.URL + npmPath("app") + p.name + "/-/" + p.file(), r.URL + npmPath("app") + p.name} {
			st, b := get(t, u, tok)
			if st < 400 || !strings.Contains(string(b), "cannot be used (KMS DisabledException") {
				t.Fatalf("replica %d, %s with the key disabled: %d %s", i+1, u, st, b)
			}
		}
	}
	_, err = c.kms.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(c.keyARN)})
	must(t, err)
	for i, r := range c.replicas {
		if st, b := get(t, r.URL+npmPath("app")+p.name+"/-/"+p.file(), tok); st != http.StatusOK || !bytes.Equal(b, p.tarball) {
			t.Fatalf("replica %d after enabling the key: %d %s", i+1, st, b)
		}
	}
}

// testKillDuringPublishes: 100 generic publishes through the load balancer,
// replica 3 killed with SIGKILL once 20 were acknowledged. Every acknowledged
// publish reads back whole through replicas 1 and 2; every other one is
// either absent or whole (never a version without its asset).
func testKillDuringPublishes(t *testing.T, c *cluster) {
	ctx := context.Background()
	_, err := signedClient(c.lb.srv.URL).CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("corp"), Repository: aws.String("files")})
	must(t, err)
	const n = 100
	type result struct {
		body  []byte
		acked bool
	}
	results := make([]result, n)
	var acked atomic.Int32
	killed := make(chan struct{})
	var killOnce sync.Once
	sem := make(chan struct{}, 10)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			body := make([]byte, 20_000+i)
			rand.Read(body)
			sum := sha256.Sum256(body)
			results[i].body = body
			_, err := signedClient(c.lb.srv.URL).PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{
				Domain: aws.String("corp"), Repository: aws.String("files"), Format: types.PackageFormatGeneric,
				Namespace: aws.String("crash"), Package: aws.String(fmt.Sprintf("p%03d", i)), PackageVersion: aws.String("1.0.0"),
				AssetName: aws.String("a.bin"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(hex.EncodeToString(sum[:])),
			})
			if err == nil {
				results[i].acked = true
				if acked.Add(1) == 20 {
					killOnce.Do(func() { c.replicas[2].Kill(); close(killed) })
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("fewer than 20 publishes acknowledged (%d): replica 3 was never killed", acked.Load())
	}
	if acked.Load() < 20 || acked.Load() == n {
		t.Logf("%d of %d publishes acknowledged", acked.Load(), n)
	}
	var missing int
	for i, r := range results {
		for j, rep := range c.replicas[:2] {
			ca := signedClient(rep.URL)
			out, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{
				Domain: aws.String("corp"), Repository: aws.String("files"), Format: types.PackageFormatGeneric,
				Namespace: aws.String("crash"), Package: aws.String(fmt.Sprintf("p%03d", i)), PackageVersion: aws.String("1.0.0"),
				Asset: aws.String("a.bin"),
			})
			var ae smithy.APIError
			if err != nil && errors.As(err, &ae) && ae.ErrorCode() == "ResourceNotFoundException" && !r.acked {
				missing++
				// Absent as a whole: no version listed either.
				_, derr := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{
					Domain: aws.String("corp"), Repository: aws.String("files"), Format: types.PackageFormatGeneric,
					Namespace: aws.String("crash"), Package: aws.String(fmt.Sprintf("p%03d", i)), PackageVersion: aws.String("1.0.0"),
				})
				if derr == nil {
					t.Errorf("publish %d (unacknowledged) left a version without its asset", i)
				}
				continue
			}
			if err != nil {
				t.Fatalf("publish %d (acknowledged: %v) through replica %d: %v", i, r.acked, j+1, err)
			}
			got, err := io.ReadAll(out.Asset)
			out.Asset.Close()
			if err != nil || !bytes.Equal(got, r.body) {
				t.Fatalf("publish %d (acknowledged: %v) reads back %d bytes through replica %d (%v), want its %d", i, r.acked, len(got), j+1, err, len(r.body))
			}
		}
	}
	t.Logf("%d publishes acknowledged, %d unacknowledged and absent, the rest whole", acked.Load(), missing/2)
}
