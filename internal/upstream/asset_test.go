package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
)

const tarball = "pretend this is a gzipped tarball"

func assetServer(t *testing.T, n *atomic.Int64, hold func()) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("Accept-Encoding") != "identity" {
			http.Error(w, "asset requests must ask for identity encoding", http.StatusBadRequest)
			return
		}
		if hold != nil {
			hold()
		}
		switch r.URL.Path {
		case "/lodash/-/lodash-1.0.0.tgz":
			w.Header().Set("Content-Type", "application/octet-stream")
			fmt.Fprint(w, tarball)
		case "/chunked/20":
			fmt.Fprint(w, strings.Repeat("a", 10))
			w.(http.Flusher).Flush()
			fmt.Fprint(w, strings.Repeat("b", 10))
		case "/chunked/10":
			w.(http.Flusher).Flush()
			fmt.Fprint(w, strings.Repeat("a", 10))
		case "/declared/20":
			fmt.Fprint(w, strings.Repeat("a", 20))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAsset(t *testing.T) {
	var n, otherN atomic.Int64
	srv := assetServer(t, &n, nil)
	other := assetServer(t, &otherN, nil) // same loopback address, another port: another host
	e := newEnv(t, srv.URL, nil)
	ctx := context.Background()

	read := func(f *Fetcher, ref string) (string, int64, string, error) {
		rc, size, ct, err := f.OpenAsset(ctx, npmConn, ref)
		if err != nil {
			return "", 0, "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), size, ct, err
	}

	for _, ref := range []string{
		"lodash/-/lodash-1.0.0.tgz",
		srv.URL + "/lodash/-/lodash-1.0.0.tgz",
		srv.URL + "/lodash/-/lodash-1.0.0.tgz#sha256=abc",
	} {
		body, size, ct, err := read(e.f, ref)
		if err != nil || body != tarball || size != int64(len(tarball)) || ct != "application/octet-stream" {
			t.Errorf("%s: %q %d %q %v", ref, body, size, ct, err)
		}
	}

	if _, _, _, err := read(e.f, "lodash/-/lodash-9.9.9.tgz"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("missing asset: %v", err)
	}

	foreign := other.URL + "/lodash/-/lodash-1.0.0.tgz"
	for _, ref := range []string{
		foreign,
		"//" + strings.TrimPrefix(other.URL, "http://") + "/x.tgz",
		"file:///etc/passwd",
		"../outside.tgz",
		srv.URL + "/a/%2e%2e/%2e%2e/b.tgz",
	} {
		_, _, _, err := read(e.f, ref)
		if !apperr.Is(err, apperr.Validation) {
			t.Errorf("%s: err = %v, want Validation", ref, err)
		}
	}
	if _, _, _, err := read(e.f, foreign); !errors.Is(err, ErrForbiddenURL) {
		t.Errorf("foreign host: %v, want ErrForbiddenURL", err)
	}
	if otherN.Load() != 0 {
		t.Fatalf("the foreign host was contacted %d times", otherN.Load())
	}

	otherHost := strings.TrimPrefix(other.URL, "http://")
	listed := newEnv(t, srv.URL, func(o *Options) { o.AssetHosts = map[string][]string{npmConn: {otherHost}} })
	anyHost := newEnv(t, srv.URL, func(o *Options) { o.AllowAnyAssetHost = true })
	for name, f := range map[string]*Fetcher{"AssetHosts": listed.f, "AllowAnyAssetHost": anyHost.f} {
		if body, _, _, err := read(f, foreign); err != nil || body != tarball {
			t.Errorf("%s: %q %v", name, body, err)
		}
	}
	if e.f.Requests(npmConn) != 4 || listed.f.Requests(npmConn) != 1 {
		t.Errorf("request counters %d / %d", e.f.Requests(npmConn), listed.f.Requests(npmConn))
	}
}

func TestAssetURLSchemeDowngradeRefused(t *testing.T) {
	u, _ := url.Parse("https://registry.example.test/")
	f, err := New(Sources{npmConn: u}, nil, Options{AllowAnyAssetHost: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ResolveAsset(npmConn, "http://registry.example.test/a.tgz"); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("https→http: %v", err)
	}
	got, err := f.ResolveAsset(npmConn, "a/-/a-1.0.0.tgz")
	if err != nil || got.String() != "https://registry.example.test/a/-/a-1.0.0.tgz" {
		t.Fatalf("relative: %v %v", got, err)
	}
}

func TestAssetSizeLimit(t *testing.T) {
	var n atomic.Int64
	srv := assetServer(t, &n, nil)
	e := newEnv(t, srv.URL, func(o *Options) { o.MaxAssetBytes = 10 })
	ctx := context.Background()

	if _, _, _, err := e.f.OpenAsset(ctx, npmConn, "declared/20"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("declared oversize: %v", err)
	}
	rc, _, _, err := e.f.OpenAsset(ctx, npmConn, "chunked/20")
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	rc.Close()
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("undeclared oversize read: %v", err)
	}
	rc, _, _, err = e.f.OpenAsset(ctx, npmConn, "chunked/10")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || len(b) != 10 {
		t.Fatalf("exactly at the limit: %d bytes, %v", len(b), err)
	}
}

// blobs is a content-addressed store standing in for the blob store: Ingest
// verifies the expected sha256 before keeping anything.
type blobs struct {
	mu     sync.Mutex
	byPath map[string]string // upstream URL → sha256
	data   map[string]string // sha256 → bytes
	have   atomic.Int64      // calls to lookup
	stores atomic.Int64      // completed stores
}

func newBlobs() *blobs { return &blobs{byPath: map[string]string{}, data: map[string]string{}} }

func (b *blobs) lookup(key string) func(context.Context) (string, bool, error) {
	return func(context.Context) (string, bool, error) {
		b.have.Add(1)
		b.mu.Lock()
		defer b.mu.Unlock()
		d, ok := b.byPath[key]
		return d, ok, nil
	}
}

func (b *blobs) ingest(key, wantSHA256 string) func(context.Context, Asset) (string, error) {
	return func(_ context.Context, a Asset) (string, error) {
		h := sha256.New()
		var sb strings.Builder
		if _, err := io.Copy(io.MultiWriter(h, &sb), a.Body); err != nil {
			return "", err
		}
		got := hex.EncodeToString(h.Sum(nil))
		if got != wantSHA256 {
			return "", apperr.New(apperr.Validation, "integrity mismatch: got sha256 %s", got)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		b.data[got] = sb.String()
		b.byPath[key] = got
		b.stores.Add(1)
		return got, nil
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestFetchAndStoreOnceForConcurrentCallers(t *testing.T) {
	const callers = 50
	var n atomic.Int64
	bl := newBlobs()
	// Hold the answer until every caller has looked in the store and missed:
	// without the singleflight each would have its own request in here.
	srv := assetServer(t, &n, func() { waitFor(func() bool { return bl.have.Load() >= callers }) })
	e := newEnv(t, srv.URL, nil)
	const ref = "lodash/-/lodash-1.0.0.tgz"

	var wg sync.WaitGroup
	results := make(chan string, callers)
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			d, err := FetchAndStore(context.Background(), e.f, npmConn, ref, bl.lookup(ref), bl.ingest(ref, sha(tarball)))
			if err != nil {
				errs <- err
				return
			}
			results <- d
		})
	}
	wg.Wait()
	close(errs)
	close(results)
	for err := range errs {
		t.Fatal(err)
	}
	for d := range results {
		if d != sha(tarball) {
			t.Fatalf("result %s", d)
		}
	}
	if n.Load() != 1 || bl.stores.Load() != 1 || e.f.Stats(npmConn).AssetFetches != 1 {
		t.Fatalf("upstream requests %d, stores %d, stats %+v; want 1 each", n.Load(), bl.stores.Load(), e.f.Stats(npmConn))
	}
	// Stored: later calls never go upstream.
	if _, err := FetchAndStore(context.Background(), e.f, npmConn, ref, bl.lookup(ref), bl.ingest(ref, sha(tarball))); err != nil || n.Load() != 1 {
		t.Fatalf("warm call: %v, %d requests", err, n.Load())
	}
}

func TestFetchAndStoreVerificationFailureStoresNothing(t *testing.T) {
	var n atomic.Int64
	srv := assetServer(t, &n, nil)
	e := newEnv(t, srv.URL, nil)
	bl := newBlobs()
	const ref = "lodash/-/lodash-1.0.0.tgz"
	for i := 1; i <= 2; i++ {
		_, err := FetchAndStore(context.Background(), e.f, npmConn, ref, bl.lookup(ref), bl.ingest(ref, sha("other bytes")))
		if !apperr.Is(err, apperr.Validation) || !strings.Contains(err.Error(), "integrity") {
			t.Fatalf("attempt %d: %v", i, err)
		}
		// A refused asset is not remembered: the next call tries again.
		if n.Load() != int64(i) || bl.stores.Load() != 0 {
			t.Fatalf("attempt %d: %d requests, %d stores", i, n.Load(), bl.stores.Load())
		}
	}
	if _, err := FetchAndStore(context.Background(), e.f, npmConn, "missing.tgz", nil, bl.ingest("missing.tgz", "")); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("missing asset: %v", err)
	}
}

func TestFetchAndStoreSurvivesFirstCallerLeaving(t *testing.T) {
	var n atomic.Int64
	bl := newBlobs()
	entered := make(chan struct{})
	var once sync.Once
	// Held until the second caller has looked in the store (first caller: 2
	// lookups, outside and inside the flight; second caller: 1).
	srv := assetServer(t, &n, func() {
		once.Do(func() { close(entered) })
		waitFor(func() bool { return bl.have.Load() >= 3 })
	})
	e := newEnv(t, srv.URL, nil)
	const ref = "lodash/-/lodash-1.0.0.tgz"

	ctx1, cancel1 := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := FetchAndStore(ctx1, e.f, npmConn, ref, bl.lookup(ref), bl.ingest(ref, sha(tarball)))
		first <- err
	}()
	<-entered
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v", err)
	}
	d, err := FetchAndStore(context.Background(), e.f, npmConn, ref, bl.lookup(ref), bl.ingest(ref, sha(tarball)))
	if err != nil || d != sha(tarball) || n.Load() != 1 || bl.stores.Load() != 1 {
		t.Fatalf("second caller: %q %v; %d requests, %d stores", d, err, n.Load(), bl.stores.Load())
	}
}

// An absolute metadata URL (NuGet's resources named by its service index)
// is held to the asset host rule: the connection's own host, or one trusted
// by TrustAssetHost.
func TestAbsoluteMetadataURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	base, _ := url.Parse(srv.URL + "/v3/index.json")
	f, err := New(Sources{npmConn: base}, newMemCache(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if d, err := f.FetchMetadata(ctx, npmConn, srv.URL+"/v3/index.json", ""); err != nil || string(d.Body) != `{"ok":true}` {
		t.Fatalf("the connection's own URL: %v", err)
	}
	// Another host (the same server under another name) until trusted.
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := f.FetchMetadata(ctx, npmConn, other+"/flat/x/index.json", ""); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("untrusted host: %v, want ErrForbiddenURL", err)
	}
	u, _ := url.Parse(other + "/flat/")
	f.TrustAssetHost(npmConn, u)
	if _, err := f.FetchMetadata(ctx, npmConn, other+"/flat/x/index.json", ""); err != nil {
		t.Fatalf("trusted host: %v", err)
	}
}
