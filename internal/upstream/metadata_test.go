package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/version"
)

// registry is a tiny upstream: one document per path, with an ETag, that
// answers conditional requests and can be switched to failing or missing.
type registry struct {
	mu       sync.Mutex
	docs     map[string]string // path → body
	etags    map[string]string
	status   int // when not 0, every request gets this status
	requests atomic.Int64
	lastReq  *http.Request
}

func newRegistry() *registry {
	return &registry{docs: map[string]string{}, etags: map[string]string{}}
}

func (g *registry) set(path, body, etag string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.docs[path], g.etags[path] = body, etag
}

func (g *registry) fail(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.status = status
}

func (g *registry) last() *http.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastReq
}

func (g *registry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	g.mu.Lock()
	g.lastReq = r.Clone(context.Background())
	status := g.status
	body, ok := g.docs[r.URL.EscapedPath()]
	etag := g.etags[r.URL.EscapedPath()]
	g.mu.Unlock()
	switch {
	case status != 0:
		http.Error(w, "upstream trouble", status)
	case !ok:
		http.NotFound(w, r)
	case etag != "" && r.Header.Get("If-None-Match") == etag:
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
	default:
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	}
}

func TestFreshHitMakesNoRequest(t *testing.T) {
	reg := newRegistry()
	reg.set("/lodash", `{"name":"lodash"}`, `"a"`)
	srv := httptest.NewServer(reg)
	defer srv.Close()
	e := newEnv(t, srv.URL, nil)
	ctx := context.Background()

	d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != `{"name":"lodash"}` || d.FromCache || d.Stale || d.Status != 200 ||
		d.ETag != `"a"` || d.ContentType != "application/json" || d.URL != srv.URL+"/lodash" || !d.FetchedAt.Equal(e.clock.Now()) {
		t.Fatalf("first fetch: %+v", d)
	}
	if ua := reg.last().Header.Get("User-Agent"); ua != "wharf/"+version.Version {
		t.Errorf("User-Agent = %q", ua)
	}
	if acc := reg.last().Header.Get("Accept"); acc != "application/json" {
		t.Errorf("Accept = %q", acc)
	}

	e.clock.advance(4 * time.Minute) // still within the 5m TTL
	d, err = e.f.FetchMetadata(ctx, npmConn, "lodash", "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if !d.FromCache || d.Stale || string(d.Body) != `{"name":"lodash"}` || d.ContentType != "application/json" || d.ETag != `"a"` {
		t.Fatalf("fresh hit: %+v", d)
	}
	if n := reg.requests.Load(); n != 1 {
		t.Fatalf("upstream saw %d requests, want 1", n)
	}
	if s := e.f.Stats(npmConn); s.Requests != 1 || s.CacheHits != 1 {
		t.Fatalf("stats %+v", s)
	}
	logs := e.logs.String()
	for _, want := range []string{"upstream request", "method=GET", "status=200", "url=" + srv.URL + "/lodash", "duration="} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestAcceptIsPartOfTheKey(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", r.Header.Get("Accept"))
		fmt.Fprint(w, "for "+r.Header.Get("Accept"))
	}))
	defer srv.Close()
	e := newEnv(t, srv.URL, nil)
	for range 2 {
		for _, acc := range []string{"text/html", "application/vnd.pypi.simple.v1+json"} {
			d, err := e.f.FetchMetadata(context.Background(), npmConn, "simple/requests/", acc)
			if err != nil {
				t.Fatal(err)
			}
			if string(d.Body) != "for "+acc || d.ContentType != acc {
				t.Fatalf("accept %s got %+v", acc, d)
			}
		}
	}
	if n.Load() != 2 {
		t.Fatalf("upstream saw %d requests, want 2 (one per Accept)", n.Load())
	}
}

func TestRevalidationWithETag(t *testing.T) {
	reg := newRegistry()
	reg.set("/lodash", "v1", `"a"`)
	srv := httptest.NewServer(reg)
	defer srv.Close()
	e := newEnv(t, srv.URL, nil)
	ctx := context.Background()

	if _, err := e.f.FetchMetadata(ctx, npmConn, "lodash", ""); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(6 * time.Minute)
	d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.last().Header.Get("If-None-Match"); got != `"a"` {
		t.Fatalf("revalidation sent If-None-Match %q", got)
	}
	if string(d.Body) != "v1" || !d.FromCache || d.Stale || !d.FetchedAt.Equal(e.clock.Now()) || d.ContentType != "application/json" {
		t.Fatalf("after 304: %+v", d)
	}
	if s := e.f.Stats(npmConn); s.Requests != 2 || s.NotModified != 1 {
		t.Fatalf("stats %+v", s)
	}
	// The 304 restarted the TTL: no request now.
	e.clock.advance(time.Minute)
	if _, err := e.f.FetchMetadata(ctx, npmConn, "lodash", ""); err != nil {
		t.Fatal(err)
	}
	if n := reg.requests.Load(); n != 2 {
		t.Fatalf("upstream saw %d requests, want 2", n)
	}

	// The document changes upstream: the next revalidation downloads it.
	reg.set("/lodash", "v2", `"b"`)
	e.clock.advance(5 * time.Minute)
	d, err = e.f.FetchMetadata(ctx, npmConn, "lodash", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != "v2" || d.ETag != `"b"` || d.FromCache {
		t.Fatalf("after change: %+v", d)
	}
}

func TestRevalidationWithLastModified(t *testing.T) {
	const lm = "Mon, 02 Jan 2006 15:04:05 GMT"
	var gotIMS atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ims := r.Header.Get("If-Modified-Since"); ims != "" {
			gotIMS.Store(ims)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", lm)
		fmt.Fprint(w, "<metadata/>")
	}))
	defer srv.Close()
	e := newEnv(t, srv.URL, nil)
	path := "org/example/lib/maven-metadata.xml"
	if _, err := e.f.FetchMetadata(context.Background(), npmConn, path, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(time.Hour)
	d, err := e.f.FetchMetadata(context.Background(), npmConn, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if gotIMS.Load() != lm || string(d.Body) != "<metadata/>" || !d.FromCache {
		t.Fatalf("If-Modified-Since %v, doc %+v", gotIMS.Load(), d)
	}
}

func TestStaleServedWhenUpstreamDown(t *testing.T) {
	reg := newRegistry()
	reg.set("/lodash", "v1", `"a"`)
	srv := httptest.NewServer(reg)
	e := newEnv(t, srv.URL, nil)
	ctx := context.Background()
	if _, err := e.f.FetchMetadata(ctx, npmConn, "lodash", ""); err != nil {
		t.Fatal(err)
	}
	fetched := e.clock.Now()

	t.Run("5xx", func(t *testing.T) {
		reg.fail(http.StatusServiceUnavailable)
		defer reg.fail(0)
		e.clock.advance(10 * time.Minute)
		d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "")
		if err != nil {
			t.Fatal(err)
		}
		if !d.Stale || !d.FromCache || string(d.Body) != "v1" || !d.FetchedAt.Equal(fetched) {
			t.Fatalf("on 503: %+v", d)
		}
	})

	srv.Close()
	t.Run("closed", func(t *testing.T) {
		e.clock.advance(10 * time.Minute)
		d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "")
		if err != nil {
			t.Fatal(err)
		}
		if !d.Stale || !d.FromCache || string(d.Body) != "v1" || d.ETag != `"a"` {
			t.Fatalf("with upstream closed: %+v", d)
		}
		if s := e.f.Stats(npmConn); s.StaleServed != 2 {
			t.Fatalf("stats %+v", s)
		}
	})

	t.Run("nothing cached", func(t *testing.T) {
		_, err := e.f.FetchMetadata(ctx, npmConn, "react", "")
		if apperr.KindOf(err) != apperr.Internal || !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v (kind %v)", err, apperr.KindOf(err))
		}
		if !strings.Contains(err.Error(), npmConn) {
			t.Errorf("error does not name the connection: %v", err)
		}
	})
}

func TestNegativeCacheExpires(t *testing.T) {
	reg := newRegistry()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	e := newEnv(t, srv.URL, nil) // NegativeTTL 1m
	ctx := context.Background()

	for i := range 2 {
		_, err := e.f.FetchMetadata(ctx, npmConn, "not-yet", "")
		if !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("call %d: err = %v, want NotFound", i, err)
		}
	}
	e.clock.advance(59 * time.Second)
	if _, err := e.f.FetchMetadata(ctx, npmConn, "not-yet", ""); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("within negative TTL: %v", err)
	}
	if n := reg.requests.Load(); n != 1 {
		t.Fatalf("upstream saw %d requests within the negative TTL, want 1", n)
	}

	reg.set("/not-yet", "now here", "")
	e.clock.advance(2 * time.Second)
	d, err := e.f.FetchMetadata(ctx, npmConn, "not-yet", "")
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != "now here" || reg.requests.Load() != 2 {
		t.Fatalf("after expiry: %+v, %d requests", d, reg.requests.Load())
	}
}

// waitFor polls cond; it is how an upstream handler holds its answer until the
// test's callers have all arrived. The deadline only prevents a hang when the
// code under test is broken; no assertion depends on timing.
func waitFor(cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentColdMissMakesOneRequest(t *testing.T) {
	const callers = 50
	var e *env
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		// Answer only once every caller has missed the cache: without the
		// singleflight they would all be in here by then.
		waitFor(func() bool { return e.cache.gets.Load() >= callers })
		fmt.Fprint(w, "packument")
	}))
	defer srv.Close()
	e = newEnv(t, srv.URL, nil)

	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Go(func() {
			d, err := e.f.FetchMetadata(context.Background(), npmConn, "cold", "")
			if err == nil && string(d.Body) != "packument" {
				err = fmt.Errorf("body %q", d.Body)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n.Load() != 1 || e.f.Requests(npmConn) != 1 {
		t.Fatalf("upstream saw %d requests (counter %d), want 1", n.Load(), e.f.Requests(npmConn))
	}
}

func TestOversizeMetadataRefused(t *testing.T) {
	big := strings.Repeat("x", 2048)
	var grown atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/declared":
			fmt.Fprint(w, big) // small enough for net/http to set Content-Length
		case r.URL.Path == "/chunked":
			for range 4 {
				fmt.Fprint(w, big[:512])
				w.(http.Flusher).Flush() // no Content-Length: only the read limit catches it
			}
		case grown.Load():
			fmt.Fprint(w, big)
		default:
			fmt.Fprint(w, "small")
		}
	}))
	defer srv.Close()
	e := newEnv(t, srv.URL, func(o *Options) { o.MaxMetadataBytes = 1024 })
	ctx := context.Background()
	for _, p := range []string{"declared", "chunked"} {
		_, err := e.f.FetchMetadata(ctx, npmConn, p, "")
		if !errors.Is(err, ErrTooLarge) || !errors.Is(err, ErrUnavailable) || apperr.KindOf(err) != apperr.Internal {
			t.Errorf("%s: err = %v", p, err)
		}
	}
	// An oversize answer is an upstream failure: a cached copy stands in.
	if _, err := e.f.FetchMetadata(ctx, npmConn, "grows", ""); err != nil {
		t.Fatal(err)
	}
	grown.Store(true)
	e.clock.advance(time.Hour)
	d, err := e.f.FetchMetadata(ctx, npmConn, "grows", "")
	if err != nil || !d.Stale || string(d.Body) != "small" {
		t.Fatalf("grown document: %+v, %v", d, err)
	}
}

func TestUpstreamTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	e := newEnv(t, srv.URL, func(o *Options) { o.ResponseHeaderTimeout = 50 * time.Millisecond })
	_, err := e.f.FetchMetadata(context.Background(), npmConn, "slow", "")
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestMetadataPathValidation(t *testing.T) {
	reg := newRegistry()
	srv := httptest.NewServer(reg)
	defer srv.Close()
	e := newEnv(t, srv.URL, nil)
	for _, p := range []string{"", "../etc/passwd", "a/../../b", "%2e%2e/x", "a/%2E%2E", "@scope%2f..%2fx", "a?b=c", "a#frag", `a\..\b`, "%zz"} {
		_, err := e.f.FetchMetadata(context.Background(), npmConn, p, "")
		if !apperr.Is(err, apperr.Validation) {
			t.Errorf("path %q: err = %v, want Validation", p, err)
		}
	}
	if _, err := e.f.FetchMetadata(context.Background(), "public:pypi", "simple/x/", ""); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured connection: %v", err)
	}
	if e.f.Configured("public:pypi") || !e.f.Configured(npmConn) {
		t.Error("Configured is wrong")
	}
	if n := reg.requests.Load(); n != 0 {
		t.Fatalf("refused paths reached the upstream %d times", n)
	}
	// Escaping is kept: a scoped npm name reaches the upstream as written.
	reg.set("/@types%2fnode", "types", "")
	d, err := e.f.FetchMetadata(context.Background(), npmConn, "@types%2fnode", "")
	if err != nil || string(d.Body) != "types" {
		t.Fatalf("scoped name: %+v, %v", d, err)
	}
}

func TestRedirects(t *testing.T) {
	reg := newRegistry()
	reg.set("/moved", "here", "")
	plain := httptest.NewServer(reg)
	defer plain.Close()

	t.Run("same host followed", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.Handle("/x", http.RedirectHandler("/y", http.StatusFound))
		mux.Handle("/y", http.RedirectHandler("/moved", http.StatusMovedPermanently))
		mux.Handle("/moved", reg)
		front := httptest.NewServer(mux)
		defer front.Close()
		e := newEnv(t, front.URL, nil)
		d, err := e.f.FetchMetadata(context.Background(), npmConn, "x", "")
		if err != nil || string(d.Body) != "here" {
			t.Fatalf("%+v, %v", d, err)
		}
	})

	t.Run("another host refused", func(t *testing.T) {
		before := reg.requests.Load()
		// Same loopback address, another port: another origin.
		front := httptest.NewServer(http.RedirectHandler(plain.URL+"/moved", http.StatusFound))
		defer front.Close()
		e := newEnv(t, front.URL, nil)
		_, err := e.f.FetchMetadata(context.Background(), npmConn, "x", "")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrForbiddenURL) || !strings.Contains(apperr.As(err).Message, "refusing the redirect") {
			t.Fatalf("err = %v", err)
		}
		if reg.requests.Load() != before {
			t.Fatal("the other host was contacted")
		}
		// Unless the operator listed it as an asset host of the connection.
		e = newEnv(t, front.URL, func(o *Options) {
			o.AssetHosts = map[string][]string{npmConn: {strings.TrimPrefix(plain.URL, "http://")}}
		})
		if d, err := e.f.FetchMetadata(context.Background(), npmConn, "x", ""); err != nil || string(d.Body) != "here" {
			t.Fatalf("redirect to a listed asset host: %+v, %v", d, err)
		}
	})

	t.Run("too many hops refused", func(t *testing.T) {
		loop := httptest.NewServer(http.RedirectHandler("/again", http.StatusFound))
		defer loop.Close()
		e := newEnv(t, loop.URL, nil)
		_, err := e.f.FetchMetadata(context.Background(), npmConn, "x", "")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrForbiddenURL) {
			t.Fatalf("err = %v", err)
		}
	})

	t.Run("https to http refused", func(t *testing.T) {
		before := reg.requests.Load()
		tlsSrv := httptest.NewTLSServer(http.RedirectHandler(plain.URL+"/moved", http.StatusFound))
		defer tlsSrv.Close()
		e := newEnv(t, tlsSrv.URL, func(o *Options) { o.TLSConfig = tlsSrv.Client().Transport.(*http.Transport).TLSClientConfig })
		_, err := e.f.FetchMetadata(context.Background(), npmConn, "x", "")
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrForbiddenURL) {
			t.Fatalf("err = %v", err)
		}
		if reg.requests.Load() != before {
			t.Fatal("the plain-http target was contacted")
		}
	})
}

func TestFailureBackoffServesStaleWithoutRetrying(t *testing.T) {
	reg := newRegistry()
	reg.set("/lodash", "v1", `"a"`)
	srv := httptest.NewServer(reg)
	defer srv.Close()
	e := newEnv(t, srv.URL, func(o *Options) { o.FailureBackoff = 30 * time.Second })
	ctx := context.Background()
	if _, err := e.f.FetchMetadata(ctx, npmConn, "lodash", ""); err != nil {
		t.Fatal(err)
	}
	reg.fail(http.StatusBadGateway)
	e.clock.advance(time.Hour)
	for i := range 3 { // one failing request, then stale straight away
		d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "")
		if err != nil || !d.Stale {
			t.Fatalf("call %d: %+v %v", i, d, err)
		}
	}
	if n := reg.requests.Load(); n != 2 {
		t.Fatalf("upstream saw %d requests, want 2 (the fetch and one failed revalidation)", n)
	}
	// A cold miss is still tried during the backoff: it has nothing to fall back on.
	if _, err := e.f.FetchMetadata(ctx, npmConn, "react", ""); !errors.Is(err, ErrUnavailable) || reg.requests.Load() != 3 {
		t.Fatalf("cold miss during backoff: %v, %d requests", err, reg.requests.Load())
	}
	// After the backoff the upstream is tried again, and its recovery is used.
	reg.fail(0)
	e.clock.advance(31 * time.Second)
	d, err := e.f.FetchMetadata(ctx, npmConn, "lodash", "")
	if err != nil || d.Stale || string(d.Body) != "v1" || reg.requests.Load() != 4 {
		t.Fatalf("after backoff: %+v %v, %d requests", d, err, reg.requests.Load())
	}
}
