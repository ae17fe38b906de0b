package replicas

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/app"
	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/config"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/model"
)

// The read path caches (domains, repositories, policies, versions, dist-tags,
// tokens, access keys, rendered packuments, decrypted tarballs) never answer
// stale: each change made through `writer` is seen by the very next request to
// `reader`, which warmed every cache beforehand. With one server both are the
// same process; with PostgreSQL they are two replicas.

func TestFreshOneServer(t *testing.T) {
	srv := apptest.Start(t)
	checkFresh(t, srv, srv)
}

func TestFreshAcrossReplicas(t *testing.T) {
	db := dsn(t)
	shared := t.TempDir()
	opts := apptest.Options{DataDir: shared, Mutate: func(c *config.Config) { c.Database = db }}
	a, b := apptest.Start(t, opts), apptest.Start(t, opts)
	checkFresh(t, a, b)
}

// tgz is a minimal npm tarball: package/package.json.
func tgz(t *testing.T, name, version string) []byte {
	t.Helper()
	pj := fmt.Appendf(nil, `{"name":%q,"version":%q}`, name, version)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "package/package.json", Mode: 0o644, Size: int64(len(pj))}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write(pj)
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

func publishBody(name, version string, tarball []byte) string {
	s512 := sha512.Sum512(tarball)
	s1 := sha1.Sum(tarball)
	return fmt.Sprintf(`{"_id":%q,"name":%q,"dist-tags":{"latest":%q},
		"versions":{%q:{"name":%q,"version":%q,"dist":{"integrity":"sha512-%s","shasum":"%s","tarball":"http://x/y.tgz"}}},
		"_attachments":{%q:{"content_type":"application/octet-stream","data":%q,"length":%d}}}`,
		name, name, version, version, name, version, base64.StdEncoding.EncodeToString(s512[:]), hex.EncodeToString(s1[:]),
		name+"-"+version+".tgz", base64.StdEncoding.EncodeToString(tarball), len(tarball))
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func call(t *testing.T, method, url, tok, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// No transparent decompression: the test looks at what was sent.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

type packument struct {
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
}

func checkFresh(t *testing.T, writer, reader *apptest.Server) {
	ctx := context.Background()
	wa, ra := writer.CodeArtifact(), reader.CodeArtifact()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(wa.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("fresh")}))
	must(wa.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("fresh"), Repository: aws.String("js")}))
	wtok := aws.ToString(mustTok(t)(wa.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("fresh")})).AuthorizationToken)
	rtok := aws.ToString(mustTok(t)(ra.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("fresh")})).AuthorizationToken)
	wURL := writer.URL + "/fresh-000000000000/npm/js/"
	rURL := reader.URL + "/fresh-000000000000/npm/js/"

	publish := func(version string) {
		t.Helper()
		if a := call(t, http.MethodPut, wURL+"pkg", wtok, publishBody("pkg", version, tgz(t, "pkg", version))); a.status != http.StatusOK {
			t.Fatalf("publish %s: %d %s", version, a.status, a.body)
		}
	}
	abbr := []string{"Accept", "application/vnd.npm.install-v1+json"}
	gz := []string{"Accept-Encoding", "gzip"}
	// read fetches every representation of the packument from the reader (so
	// each is cached) and returns the identity full one, after checking the
	// others agree with it.
	read := func(tok string) packument {
		t.Helper()
		full := call(t, http.MethodGet, rURL+"pkg", tok, "")
		if full.status != http.StatusOK {
			t.Fatalf("GET packument at the reader: %d %s", full.status, full.body)
		}
		var p packument
		if err := json.Unmarshal(full.body, &p); err != nil {
			t.Fatal(err)
		}
		for _, h := range [][]string{abbr, gz, append(append([]string{}, abbr...), gz...)} {
			a := call(t, http.MethodGet, rURL+"pkg", tok, "", h...)
			body := a.body
			if a.header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			var q packument
			if a.status != http.StatusOK || json.Unmarshal(body, &q) != nil {
				t.Fatalf("GET packument %v: %d %.200s", h, a.status, body)
			}
			if fmt.Sprint(keys(q.Versions), q.DistTags) != fmt.Sprint(keys(p.Versions), p.DistTags) {
				t.Fatalf("representation %v lists %v %v, the full one %v %v", h, keys(q.Versions), q.DistTags, keys(p.Versions), p.DistTags)
			}
		}
		return p
	}
	tarball := func(tok, version string) int {
		t.Helper()
		return call(t, http.MethodGet, rURL+"pkg/-/pkg-"+version+".tgz", tok, "").status
	}
	want := func(p packument, versions, latest string) {
		t.Helper()
		if got := strings.Join(keys(p.Versions), ","); got != versions || p.DistTags["latest"] != latest {
			t.Fatalf("reader serves versions %s latest %s; want %s latest %s", got, p.DistTags["latest"], versions, latest)
		}
	}

	// A publish.
	publish("1.0.0")
	want(read(rtok), "1.0.0", "1.0.0")
	want(read(rtok), "1.0.0", "1.0.0") // now from the caches
	etag := call(t, http.MethodGet, rURL+"pkg", rtok, "").header.Get("ETag")
	if a := call(t, http.MethodGet, rURL+"pkg", rtok, "", "If-None-Match", etag); a.status != http.StatusNotModified || len(a.body) != 0 {
		t.Fatalf("If-None-Match with the current ETag: %d, %d bytes", a.status, len(a.body))
	}
	publish("1.1.0")
	want(read(rtok), "1.0.0,1.1.0", "1.1.0")
	if a := call(t, http.MethodGet, rURL+"pkg", rtok, "", "If-None-Match", etag); a.status != http.StatusOK {
		t.Fatalf("If-None-Match with the ETag from before a publish: %d, want 200", a.status)
	}

	// A dist-tag move.
	if a := call(t, http.MethodPut, wURL+"-/package/pkg/dist-tags/latest", wtok, `"1.0.0"`); a.status/100 != 2 {
		t.Fatalf("dist-tag move: %d %s", a.status, a.body)
	}
	want(read(rtok), "1.0.0,1.1.0", "1.0.0")

	// Status changes: Unlisted leaves the packument but stays downloadable;
	// Archived is neither listed nor downloadable.
	if st := tarball(rtok, "1.1.0"); st != http.StatusOK {
		t.Fatalf("tarball 1.1.0: %d", st)
	}
	status := func(s types.PackageVersionStatus) {
		t.Helper()
		must(wa.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String("fresh"), Repository: aws.String("js"),
			Format: types.PackageFormatNpm, Package: aws.String("pkg"), Versions: []string{"1.1.0"}, TargetStatus: s}))
	}
	status(types.PackageVersionStatusUnlisted)
	want(read(rtok), "1.0.0", "1.0.0")
	if st := tarball(rtok, "1.1.0"); st != http.StatusOK {
		t.Fatalf("tarball of an unlisted version: %d, want 200", st)
	}
	status(types.PackageVersionStatusArchived)
	if st := tarball(rtok, "1.1.0"); st != http.StatusNotFound {
		t.Fatalf("tarball of an archived version at the reader: %d, want 404", st)
	}
	want(read(rtok), "1.0.0", "1.0.0")

	// A policy that revokes a reader: another account, allowed by the domain
	// policy, reads through the reader (warming its caches), then a
	// repository policy denies it.
	// Across accounts both sides must allow (IAM): the partner's own identity
	// policy allows reading, the domain policy below lets it in.
	users := &iam.Service{Store: writer.App.Store()}
	pu, err := users.CreateUser(ctx, "111122223333", "builder", "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.PutInlinePolicy(ctx, "111122223333", "user", "builder", "read",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken","codeartifact:ReadFromRepository","sts:GetServiceBearerToken"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	partner, err := auth.NewAccessKey(ctx, writer.App.Store(), model.Principal{Account: "111122223333", ARN: pu.Arn, UserID: pu.UserID})
	if err != nil {
		t.Fatal(err)
	}
	must(wa.PutDomainPermissionsPolicy(ctx, &codeartifact.PutDomainPermissionsPolicyInput{Domain: aws.String("fresh"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"},
	    "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:ReadFromRepository"], "Resource": "*"}]}`)}))
	pc := reader.CodeArtifact(partner.AccessKeyID, partner.SecretAccessKey)
	ptok := aws.ToString(mustTok(t)(pc.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("fresh"), DomainOwner: aws.String(apptest.Account)})).AuthorizationToken)
	want(read(ptok), "1.0.0", "1.0.0")
	if st := tarball(ptok, "1.0.0"); st != http.StatusOK {
		t.Fatalf("partner tarball: %d", st)
	}
	// The reader now holds the partner's identity (its user's policies,
	// parsed) in memory. Each change to what its IAM user is allowed, made
	// through the writer, is seen by the reader's very next request: an
	// inline policy replaced by one that no longer allows reading, a managed
	// policy attached that allows it again, a new default version of that
	// policy that denies it, the attachment removed.
	partnerReads := func(want int) {
		t.Helper()
		if a := call(t, http.MethodGet, rURL+"pkg", ptok, ""); a.status != want {
			t.Fatalf("partner's packument GET at the reader: %d, want %d", a.status, want)
		}
		if st := tarball(ptok, "1.0.0"); st != want {
			t.Fatalf("partner's tarball GET at the reader: %d, want %d", st, want)
		}
	}
	const allowRead = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`
	if err := users.PutInlinePolicy(ctx, "111122223333", "user", "builder", "read",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken"],"Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusForbidden)
	mp, err := users.CreatePolicy(ctx, "111122223333", "reading", "/", allowRead, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Attach(ctx, "111122223333", "user", "builder", mp.Arn); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusOK)
	if _, err := users.CreatePolicyVersion(ctx, "111122223333", mp.Arn,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`, true); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusForbidden)
	if err := users.SetDefaultPolicyVersion(ctx, "111122223333", mp.Arn, "v1"); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusOK)
	if err := users.Detach(ctx, "111122223333", "user", "builder", mp.Arn); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusForbidden)
	if err := users.PutInlinePolicy(ctx, "111122223333", "user", "builder", "read", allowRead); err != nil {
		t.Fatal(err)
	}
	partnerReads(http.StatusOK)
	must(wa.PutRepositoryPermissionsPolicy(ctx, &codeartifact.PutRepositoryPermissionsPolicyInput{Domain: aws.String("fresh"), Repository: aws.String("js"), PolicyDocument: aws.String(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/builder"}, "Action": "codeartifact:ReadFromRepository", "Resource": "*"}]}`)}))
	if a := call(t, http.MethodGet, rURL+"pkg", ptok, ""); a.status != http.StatusForbidden {
		t.Fatalf("revoked reader's packument GET: %d, want 403", a.status)
	}
	if st := tarball(ptok, "1.0.0"); st != http.StatusForbidden {
		t.Fatalf("revoked reader's tarball GET: %d, want 403", st)
	}
	// The owner still reads.
	want(read(rtok), "1.0.0", "1.0.0")
}

func mustTok(t *testing.T) func(*codeartifact.GetAuthorizationTokenOutput, error) *codeartifact.GetAuthorizationTokenOutput {
	return func(o *codeartifact.GetAuthorizationTokenOutput, err error) *codeartifact.GetAuthorizationTokenOutput {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A new upstream packument is seen by the next request once wharf revalidates
// it (here: on every request, --metadata-ttl 1ns), though the rendered
// packument was cached: the rendering is keyed by the upstream document too.
func TestFreshUpstreamPackument(t *testing.T) {
	var mu sync.Mutex
	versions := []string{"1.0.0"}
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/uppkg" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		vs := slices.Clone(versions)
		mu.Unlock()
		doc := map[string]any{"name": "uppkg", "dist-tags": map[string]string{"latest": vs[len(vs)-1]}}
		vm := map[string]any{}
		for _, v := range vs {
			vm[v] = map[string]any{"name": "uppkg", "version": v, "dist": map[string]string{
				"tarball": "http://" + r.Host + "/uppkg/-/uppkg-" + v + ".tgz", "integrity": "sha512-AAAA"}}
		}
		doc["versions"] = vm
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": u},
		Mutate: func(c *config.Config) { c.MetadataTTL = time.Nanosecond }})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("fresh")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("fresh"), Repository: aws.String("store")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("fresh"), Repository: aws.String("store"), ExternalConnection: aws.String("public:npmjs")}); err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(mustTok(t)(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("fresh")})).AuthorizationToken)
	get := func() []string {
		t.Helper()
		a := call(t, http.MethodGet, srv.URL+"/fresh-000000000000/npm/store/uppkg", tok, "")
		var p packument
		if a.status != http.StatusOK || json.Unmarshal(a.body, &p) != nil {
			t.Fatalf("GET: %d %.200s", a.status, a.body)
		}
		return keys(p.Versions)
	}
	for range 2 {
		if got := fmt.Sprint(get()); got != "[1.0.0]" {
			t.Fatalf("before the upstream changes: %s", got)
		}
	}
	mu.Lock()
	versions = append(versions, "1.1.0")
	mu.Unlock()
	if got := fmt.Sprint(get()); got != "[1.0.0 1.1.0]" {
		t.Fatalf("after the upstream published 1.1.0: %s", got)
	}
}

// TestFreshIAMFromAnotherProcess: beside a SQLite server, `wharf keys create`
// writes IAM users and their policies from another process (app.OpenStore on
// the same data directory, as here). The server holds its callers'
// identities in memory; a policy changed by the other store is still seen by
// the server's very next request.
func TestFreshIAMFromAnotherProcess(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.Setup(t, "fresh", []string{"js"}, nil, nil)
	tok := apptest.Token(t, ca, "fresh")
	base := srv.URL + "/fresh-000000000000/npm/js/"
	if a := call(t, http.MethodPut, base+"pkg", tok, publishBody("pkg", "1.0.0", tgz(t, "pkg", "1.0.0"))); a.status != http.StatusOK {
		t.Fatalf("publish: %d %s", a.status, a.body)
	}
	other, err := app.OpenStore(ctx, &config.Config{DataDir: srv.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	users := &iam.Service{Store: other}
	u, err := users.CreateUser(ctx, apptest.Account, "ci", "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	setPolicy := func(effect string) {
		t.Helper()
		if err := users.PutInlinePolicy(ctx, apptest.Account, "user", "ci", "wharf-keys-create", `{"Version":"2012-10-17","Statement":[
		  {"Effect":"Allow","Action":["codeartifact:GetAuthorizationToken","sts:GetServiceBearerToken"],"Resource":"*"},
		  {"Effect":"`+effect+`","Action":"codeartifact:ReadFromRepository","Resource":"*"}]}`); err != nil {
			t.Fatal(err)
		}
	}
	setPolicy("Allow")
	k, err := auth.NewAccessKey(ctx, other, model.Principal{Account: apptest.Account, ARN: u.Arn, UserID: u.UserID})
	if err != nil {
		t.Fatal(err)
	}
	ci := srv.CodeArtifact(k.AccessKeyID, k.SecretAccessKey)
	ctok := aws.ToString(mustTok(t)(ci.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("fresh")})).AuthorizationToken)
	reads := func(want int) {
		t.Helper()
		for range 2 { // the second from memory
			if a := call(t, http.MethodGet, base+"pkg/-/pkg-1.0.0.tgz", ctok, ""); a.status != want {
				t.Fatalf("tarball GET by the user: %d, want %d", a.status, want)
			}
		}
	}
	reads(http.StatusOK)
	setPolicy("Deny")
	reads(http.StatusForbidden)
	setPolicy("Allow")
	reads(http.StatusOK)
}
