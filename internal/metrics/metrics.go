// Package metrics is wharf's Prometheus instrumentation: one registry, the
// metric families an operator scrapes at GET /metrics, and cheap hooks for the
// request path. Label values come only from closed sets (surfaces, operation
// names, formats, status codes, connection names, store and blob operations):
// never package names, repositories or domains, so the number of series stays
// bounded however much a wharf holds.
//
// The request path pays one map lookup for its operation's pre-resolved
// children, one histogram observation and one counter increment; upstream
// counters are read from the fetcher's own atomics at scrape time.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Surfaces: what part of wharf a request reached (the "surface" label).
const (
	SurfaceCodeArtifact = "codeartifact"
	SurfaceSTS          = "sts"
	SurfaceKMS          = "kms"
	SurfaceIAM          = "iam"
	SurfacePackage      = "package"
	SurfaceMetrics      = "metrics"
	SurfaceConsole      = "console"
	SurfaceOther        = "other"
)

// Metrics holds the registry and the metric families.
type Metrics struct {
	Registry *prometheus.Registry

	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	bytesIn       *prometheus.CounterVec
	bytesOut      *prometheus.CounterVec
	upstreamDur   *prometheus.HistogramVec
	blobDur       *prometheus.HistogramVec
	storeDur      *prometheus.HistogramVec
	tokenValidate *prometheus.CounterVec

	mu  sync.Mutex
	ops atomic.Pointer[map[opKey]*Op] // copy-on-write: readers never lock
}

type opKey struct{ surface, operation string }

// Op is the pre-resolved instrumentation of one (surface, operation) pair.
type Op struct {
	m        *Metrics
	key      opKey
	duration prometheus.Observer
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
	// codes caches the request counter per status code (100–599), resolved on
	// first use so that only codes that occurred appear as series.
	codes [500]atomic.Pointer[counter]
}

type counter struct{ c prometheus.Counter }

// DurationBuckets span a cached metadata answer (sub-millisecond) to a large
// upload (minutes).
var DurationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// New builds the registry with every wharf family plus the Go runtime and
// process collectors.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_http_requests_total",
		Help: "HTTP requests served, by surface (codeartifact, sts, kms, package, ...), operation (CodeArtifact operation name or package format) and status code.",
	}, []string{"surface", "operation", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_http_request_duration_seconds",
		Help:    "Time from request start to the handler's return (includes streaming the body), by surface and operation.",
		Buckets: DurationBuckets,
	}, []string{"surface", "operation"})
	m.bytesIn = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_http_request_bytes_total",
		Help: "Request body bytes read by handlers, by surface and operation.",
	}, []string{"surface", "operation"})
	m.bytesOut = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_http_response_bytes_total",
		Help: "Response body bytes written, by surface and operation.",
	}, []string{"surface", "operation"})
	m.upstreamDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_upstream_request_duration_seconds",
		Help:    "Time to response headers of requests to external connections' upstreams, by connection.",
		Buckets: DurationBuckets,
	}, []string{"connection"})
	m.blobDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_blob_operation_duration_seconds",
		Help:    "Blob store latency by operation: put (stream in, hash, encrypt, commit) and open (until the stream is ready).",
		Buckets: DurationBuckets,
	}, []string{"operation"})
	m.storeDur = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wharf_store_operation_duration_seconds",
		Help:    "Metadata store latency by operation: the database calls on the request path (answers from wharf's read cache are not timed).",
		Buckets: DurationBuckets,
	}, []string{"operation"})
	m.tokenValidate = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "wharf_token_validations_total",
		Help: "Authorization token validations on the package endpoints, by result: valid, rejected (malformed, unknown, expired) or error (store failure).",
	}, []string{"result"})
	m.Registry.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.upstreamDur, m.blobDur, m.storeDur, m.tokenValidate,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	empty := map[opKey]*Op{}
	m.ops.Store(&empty)
	return m
}

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Op returns the instrumentation of (surface, operation), creating it on
// first use. Callers pass only values from closed sets.
func (m *Metrics) Op(surface, operation string) *Op {
	k := opKey{surface, operation}
	if o, ok := (*m.ops.Load())[k]; ok {
		return o
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.ops.Load()
	if o, ok := cur[k]; ok {
		return o
	}
	o := &Op{m: m, key: k,
		duration: m.duration.WithLabelValues(surface, operation),
		bytesIn:  m.bytesIn.WithLabelValues(surface, operation),
		bytesOut: m.bytesOut.WithLabelValues(surface, operation),
	}
	next := make(map[opKey]*Op, len(cur)+1)
	for kk, v := range cur {
		next[kk] = v
	}
	next[k] = o
	m.ops.Store(&next)
	return o
}

// Done records one finished request.
func (o *Op) Done(code int, d time.Duration, in, out int64) {
	o.duration.Observe(d.Seconds())
	if in > 0 {
		o.bytesIn.Add(float64(in))
	}
	if out > 0 {
		o.bytesOut.Add(float64(out))
	}
	if code < 100 || code > 599 {
		code = 500
	}
	slot := &o.codes[code-100]
	c := slot.Load()
	if c == nil {
		c = &counter{o.m.requests.WithLabelValues(o.key.surface, o.key.operation, strconv.Itoa(code))}
		slot.Store(c) // a racing duplicate resolves to the same child: harmless
	}
	c.c.Inc()
}

// ObserveUpstream records one upstream request's time to headers.
func (m *Metrics) ObserveUpstream(conn string, d time.Duration) {
	m.upstreamDur.WithLabelValues(conn).Observe(d.Seconds())
}

// TokenValidation counts one token validation by result.
func (m *Metrics) TokenValidation(result string) { m.tokenValidate.WithLabelValues(result).Inc() }
