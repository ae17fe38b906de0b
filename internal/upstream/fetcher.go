package upstream

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wharf-dev/wharf/internal/coord"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/version"
)

// Cache persists upstream metadata. store.Store satisfies it. GetCache returns an
// apperr.NotFound error for a key never written.
type Cache interface {
	GetCache(ctx context.Context, key string) (model.CacheEntry, error)
	PutCache(ctx context.Context, e model.CacheEntry) error
}

// Options tunes a Fetcher. The zero value of every field means its default.
type Options struct {
	// MetadataTTL: how long fetched metadata is served with no upstream request
	// (default 5m). Older entries are revalidated.
	MetadataTTL time.Duration
	// NegativeTTL: how long an upstream 404 is remembered (default 1m).
	NegativeTTL time.Duration
	// FailureBackoff: after an upstream request to a connection fails (network
	// error, timeout, 5xx), metadata with a cached copy is served stale for this
	// long without trying again (default 30s), so clients are not each made to
	// wait out a timeout during an outage. Cold misses always try.
	FailureBackoff time.Duration
	// MaxMetadataBytes caps a metadata body after decompression (default 64 MiB;
	// the largest public npm packuments are tens of MiB).
	MaxMetadataBytes int64
	// MaxAssetBytes caps an asset stream; reads past it fail (default 0: no cap).
	MaxAssetBytes int64
	// MetadataTimeout bounds one metadata flight end to end (default 60s).
	MetadataTimeout time.Duration
	// AssetTimeout bounds one FetchAndStore flight end to end (default 30m).
	AssetTimeout time.Duration
	// DialTimeout, TLSHandshakeTimeout and ResponseHeaderTimeout configure the
	// default HTTP client (defaults 10s, 10s, 30s).
	DialTimeout           time.Duration
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration
	// ReadTimeout bounds each wait for more of a response body (default 60s): an
	// upstream that stalls mid-body fails the request with ErrTimeout (504)
	// without waiting out the flight timeouts above.
	ReadTimeout time.Duration
	// TLSConfig, when set, is used by the default transport (e.g. a corporate CA).
	TLSConfig *tls.Config
	// MaxConcurrent bounds in-flight upstream requests per connection (default
	// 64). An open asset stream holds its slot until closed.
	MaxConcurrent int
	// AssetHosts lists, per connection, extra hosts (host or host:port) asset
	// URLs may point at besides the upstream's own host; e.g. a PyPI index whose
	// files live on a separate file host.
	AssetHosts map[string][]string
	// AllowAnyAssetHost lifts the asset host check entirely. Leave it off: asset
	// URLs come from upstream metadata, which for npm anyone can publish into, so
	// honouring any host lets a crafted document make wharf fetch from internal
	// addresses (cloud metadata endpoints, admin services) or from hosts the
	// operator never approved — a server-side request forgery channel.
	AllowAnyAssetHost bool
	// UserAgent sent upstream (default "wharf/<version>").
	UserAgent string
	// Client replaces the default HTTP client entirely (its timeouts and
	// redirect policy then are the caller's business).
	Client *http.Client
	// Logger receives one line per upstream request (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock for cache ages (default time.Now); tests inject one.
	Now func() time.Time
	// ObserveRequest, when set, is told the time to response headers of every
	// upstream request (metrics).
	ObserveRequest func(conn string, d time.Duration)
	// Lock, when set, is taken around each flight's re-check and fetch, so
	// replicas sharing a database fetch a cold asset or document once: the
	// others wait, then find it stored (internal/coord).
	Lock coord.Locker
	// Refresh, when set, is called with a caller's context after it waited
	// for a fetch done elsewhere (the cluster lock, or a flight it joined),
	// so what the request memoized about the store is read again
	// (cached.Refresh).
	Refresh func(ctx context.Context)
}

func (o *Options) defaults() {
	setDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	setDur(&o.MetadataTTL, 5*time.Minute)
	setDur(&o.NegativeTTL, time.Minute)
	setDur(&o.FailureBackoff, 30*time.Second)
	setDur(&o.MetadataTimeout, time.Minute)
	setDur(&o.AssetTimeout, 30*time.Minute)
	setDur(&o.DialTimeout, 10*time.Second)
	setDur(&o.TLSHandshakeTimeout, 10*time.Second)
	setDur(&o.ResponseHeaderTimeout, 30*time.Second)
	setDur(&o.ReadTimeout, time.Minute)
	if o.MaxMetadataBytes <= 0 {
		o.MaxMetadataBytes = 64 << 20
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 64
	}
	if o.UserAgent == "" {
		o.UserAgent = "wharf/" + version.Version
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Stats counts what happened per connection since the Fetcher was built.
type Stats struct {
	Requests     int64 // HTTP requests sent upstream (metadata and assets)
	Errors       int64 // requests that failed: transport error or unexpected status
	NotModified  int64 // 304 answers to revalidations
	CacheHits    int64 // metadata answered from a fresh cache entry (incl. negative)
	StaleServed  int64 // metadata served stale because the upstream failed
	AssetFetches int64 // FetchAndStore flights that went upstream
	CacheMisses  int64 // metadata flights that had to ask the upstream (no fresh entry)
	Coalesced    int64 // callers answered by a flight shared with another caller
}

type counters struct {
	requests, errors, notModified, cacheHits, stale, assetFetches atomic.Int64
	misses, coalesced                                             atomic.Int64
	failedAt                                                      atomic.Int64 // unix nanos of the last failure, 0 after a success
}

// Fetcher talks to the configured upstream registries. It is safe for
// concurrent use; build one per process (the singleflight groups must be shared).
type Fetcher struct {
	// src is swapped whole on reload (SIGHUP): readers take one snapshot per
	// lookup, never a half-updated map.
	src    atomic.Pointer[Sources]
	cache  Cache
	opt    Options
	client *http.Client
	log    *slog.Logger

	meta   singleflight.Group
	assets singleflight.Group

	stats map[string]*counters     // fixed at New: one per known connection
	pool  map[string]chan struct{} // per-connection request slots

	// trusted are asset hosts learned from a connection's own upstream
	// configuration document (a Cargo index's config.json "dl"), added to
	// Options.AssetHosts by TrustAssetHost.
	trustedMu sync.RWMutex
	trusted   map[string][]string
}

// TrustAssetHost lets conn's assets be fetched from u's host (host:port) from
// now on, besides the upstream's own host and Options.AssetHosts. It is for a
// download location the configured upstream itself names in its configuration
// (a Cargo sparse index's config.json "dl", which crates.io points at another
// host): the operator chose that upstream, so its configuration is trusted as
// the upstream URL is. Never call it with a URL taken from package metadata.
func (f *Fetcher) TrustAssetHost(conn string, u *url.URL) {
	if u == nil || u.Host == "" {
		return
	}
	f.trustedMu.Lock()
	defer f.trustedMu.Unlock()
	for _, h := range f.trusted[conn] {
		if strings.EqualFold(h, u.Host) {
			return
		}
	}
	if f.trusted == nil {
		f.trusted = map[string][]string{}
	}
	f.trusted[conn] = append(f.trusted[conn], u.Host)
}

// assetHosts are the extra hosts conn's assets may come from.
func (f *Fetcher) assetHosts(conn string) []string {
	f.trustedMu.RLock()
	defer f.trustedMu.RUnlock()
	if len(f.trusted[conn]) == 0 {
		return f.opt.AssetHosts[conn]
	}
	return append(append([]string(nil), f.opt.AssetHosts[conn]...), f.trusted[conn]...)
}

// New builds a Fetcher for the given sources. cache may be nil only if
// FetchMetadata is never called.
func New(src Sources, cache Cache, opt Options) (*Fetcher, error) {
	if err := src.Validate(); err != nil {
		return nil, err
	}
	opt.defaults()
	f := &Fetcher{
		cache: cache,
		opt:   opt,
		log:   opt.Logger.With("component", "upstream"),
		stats: map[string]*counters{},
		pool:  map[string]chan struct{}{},
	}
	f.src.Store(&src)
	for name := range model.ExternalConnections {
		f.stats[name] = &counters{}
		f.pool[name] = make(chan struct{}, opt.MaxConcurrent)
	}
	f.client = opt.Client
	if f.client == nil {
		f.client = newHTTPClient(opt)
	}
	return f, nil
}

// newHTTPClient is the default client: bounded connect, TLS and header waits, the
// environment's proxy settings (air-gapped sites reach registries through one),
// and redirects that never change scheme — an https upstream must not be able to
// send us to plain http, where the answer could be tampered with.
func newHTTPClient(o Options) *http.Client {
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   o.TLSHandshakeTimeout,
		ResponseHeaderTimeout: o.ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       o.TLSConfig,
	}
	return &http.Client{Transport: tr, CheckRedirect: checkRedirect}
}

// MaxRedirects is how many redirects one upstream request follows.
const MaxRedirects = 3

// redirectKey carries a request's redirectRule in its context: the transport's
// CheckRedirect is shared by every connection, the rule is per connection.
type redirectKey struct{}

// redirectRule is where a connection's requests may be redirected: the
// configured upstream's own origin (scheme, host and port), or one of its
// Options.AssetHosts with the same scheme. Anything else — another host, a port
// on the same host, another scheme — is refused: a redirect is chosen by
// whoever answers the upstream URL (or by anyone who can publish into it), and
// following it anywhere would let a response steer wharf at internal services
// and keep their answers as packages.
type redirectRule struct {
	conn  string
	base  *url.URL
	hosts []string // extra allowed hosts (AssetHosts), host or host:port
}

func (r *redirectRule) allows(u *url.URL) bool {
	if u.Scheme != r.base.Scheme || u.User != nil {
		return false
	}
	if sameHostPort(u, r.base.Scheme, r.base.Host) {
		return true
	}
	for _, h := range r.hosts {
		if sameHostPort(u, r.base.Scheme, h) {
			return true
		}
	}
	return false
}

// sameHostPort compares u's host and port with hostport (whose port defaults
// to the scheme's), case-insensitively.
func sameHostPort(u *url.URL, scheme, hostport string) bool {
	want := &url.URL{Scheme: scheme, Host: hostport}
	return strings.EqualFold(u.Hostname(), want.Hostname()) && portOf(u) == portOf(want)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: more than %d redirects from %s", ErrForbiddenURL, MaxRedirects, via[0].URL.Redacted())
	}
	rule, ok := req.Context().Value(redirectKey{}).(*redirectRule)
	if !ok { // a request not sent through send: stay on the first request's origin
		rule = &redirectRule{base: via[0].URL}
	}
	if !rule.allows(req.URL) {
		return fmt.Errorf("%w: refusing the redirect from %s to %s: only the upstream's own host %s://%s is followed",
			ErrForbiddenURL, via[len(via)-1].URL.Redacted(), req.URL.Redacted(), rule.base.Scheme, rule.base.Host)
	}
	return nil
}

// backingOff reports whether conn failed less than FailureBackoff ago.
func (f *Fetcher) backingOff(conn string) bool {
	t := f.stats[conn].failedAt.Load()
	return t != 0 && f.opt.Now().Sub(time.Unix(0, t)) < f.opt.FailureBackoff
}

// Configured reports whether conn has an upstream URL. Resolution code can skip
// an external connection that is not configured instead of failing.
func (f *Fetcher) Configured(conn string) bool {
	if f == nil {
		return false
	}
	_, ok := (*f.src.Load())[conn]
	return ok
}

// SetSources replaces the upstream URLs (configuration reload). Cached metadata
// stays: it is keyed by connection and path, and a changed URL for the same
// connection names the same registry (a mirror), so revalidation corrects it.
func (f *Fetcher) SetSources(src Sources) error {
	if err := src.Validate(); err != nil {
		return err
	}
	cp := make(Sources, len(src))
	for k, v := range src {
		cp[k] = v
	}
	f.src.Store(&cp)
	return nil
}

// Sources returns the current upstream URLs (a copy).
func (f *Fetcher) Sources() Sources {
	cur := *f.src.Load()
	cp := make(Sources, len(cur))
	for k, v := range cur {
		cp[k] = v
	}
	return cp
}

// NotConfiguredHint is the sentence wharf says wherever an external connection
// without an upstream URL explains a miss (404s, start-up, association, /healthz).
func NotConfiguredHint(conn string) string {
	return fmt.Sprintf("the external connection %s has no upstream URL configured; start wharf with --upstream %s=URL", conn, conn)
}

// Stats returns the counters of one connection (zero for unknown names).
func (f *Fetcher) Stats(conn string) Stats {
	c, ok := f.stats[conn]
	if !ok {
		return Stats{}
	}
	return Stats{
		Requests:     c.requests.Load(),
		Errors:       c.errors.Load(),
		NotModified:  c.notModified.Load(),
		CacheHits:    c.cacheHits.Load(),
		StaleServed:  c.stale.Load(),
		AssetFetches: c.assetFetches.Load(),
		CacheMisses:  c.misses.Load(),
		Coalesced:    c.coalesced.Load(),
	}
}

// Requests is Stats(conn).Requests: how many HTTP requests went to conn.
func (f *Fetcher) Requests(conn string) int64 { return f.Stats(conn).Requests }

// base returns the configured URL of conn.
func (f *Fetcher) base(conn string) (*url.URL, error) {
	u, ok := (*f.src.Load())[conn]
	if !ok {
		return nil, apperr.New(apperr.Internal, "%s", NotConfiguredHint(conn)).Wrap(ErrNotConfigured)
	}
	return u, nil
}

// resolvePath joins a relative path onto conn's base URL. The path keeps its
// escaping (npm's "@scope%2fname" must reach the upstream as written), and may
// not climb out of the base with "." / ".." segments (also when percent-encoded),
// carry a query or fragment, or name another host.
func (f *Fetcher) resolvePath(conn, p string) (*url.URL, error) {
	b, err := f.base(conn)
	if err != nil {
		return nil, err
	}
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return nil, apperr.Validationf("empty upstream path")
	}
	if strings.ContainsAny(p, "?#\\") {
		return nil, apperr.Validationf("upstream path %q must not contain '?', '#' or '\\'", p)
	}
	if err := checkSegments(p); err != nil {
		return nil, err
	}
	u, err := url.Parse(strings.TrimRight(b.String(), "/") + "/" + p)
	if err != nil || u.Host != b.Host || u.Scheme != b.Scheme {
		return nil, apperr.Validationf("invalid upstream path %q", p)
	}
	return u, nil
}

// checkSegments refuses "." and ".." path segments, decoded or not.
func checkSegments(escapedPath string) error {
	for _, seg := range strings.Split(escapedPath, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			return apperr.Validationf("invalid escaping in upstream path segment %q", seg)
		}
		// %2f inside a segment decodes to "/": check the pieces too.
		for _, piece := range strings.Split(dec, "/") {
			if piece == "." || piece == ".." {
				return apperr.Validationf("upstream path must not contain %q segments", piece)
			}
		}
	}
	return nil
}

// acquire takes one of conn's request slots (layer 6 of the package doc).
func (f *Fetcher) acquire(ctx context.Context, conn string) (release func(), err error) {
	slots := f.pool[conn]
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// send performs one upstream request (layers 6 and 7): it waits for a slot, sets
// the User-Agent, counts, and logs method, URL, status and time to headers. On
// success the caller owns resp.Body and must call release after closing it.
func (f *Fetcher) send(ctx context.Context, conn string, req *http.Request) (resp *http.Response, release func(), err error) {
	release, err = f.acquire(ctx, conn)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", f.opt.UserAgent)
	if b, ok := (*f.src.Load())[conn]; ok {
		ctx = context.WithValue(ctx, redirectKey{}, &redirectRule{conn: conn, base: b, hosts: f.assetHosts(conn)})
	}
	c := f.stats[conn]
	c.requests.Add(1)
	start := time.Now()
	resp, err = f.client.Do(req.WithContext(ctx))
	dur := time.Since(start)
	if f.opt.ObserveRequest != nil {
		f.opt.ObserveRequest(conn, dur)
	}
	if err != nil {
		release()
		c.errors.Add(1)
		f.log.LogAttrs(ctx, slog.LevelWarn, "upstream request failed",
			slog.String("conn", conn), slog.String("method", req.Method), slog.String("url", req.URL.Redacted()),
			slog.Duration("duration", dur), slog.String("error", err.Error()))
		return nil, nil, err
	}
	f.log.LogAttrs(ctx, slog.LevelInfo, "upstream request",
		slog.String("conn", conn), slog.String("method", req.Method), slog.String("url", req.URL.Redacted()),
		slog.Int("status", resp.StatusCode), slog.Duration("duration", dur))
	return resp, release, nil
}

// clusterLock takes Options.Lock for a flight's key; without one it is free.
func (f *Fetcher) clusterLock(ctx context.Context, key string) (func(), error) {
	if f.opt.Lock == nil {
		return func() {}, nil
	}
	unlock, err := f.opt.Lock.Lock(ctx, "upstream|"+key)
	if err != nil {
		return nil, apperr.New(apperr.Internal, "waiting for another replica's upstream fetch").Wrap(err)
	}
	f.forgetMemo(ctx)
	return unlock, nil
}

func (f *Fetcher) forgetMemo(ctx context.Context) {
	if f.opt.Refresh != nil {
		f.opt.Refresh(ctx)
	}
}
