package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// UpstreamStats is the part of upstream.Fetcher the collector reads.
type UpstreamStats interface {
	Stats(conn string) upstream.Stats
}

// upstreamCollector turns the fetcher's per-connection atomics into counters at
// scrape time: the request path keeps its plain atomic adds.
type upstreamCollector struct {
	f       UpstreamStats
	conns   []string
	reqs    *prometheus.Desc
	errs    *prometheus.Desc
	notMod  *prometheus.Desc
	cache   *prometheus.Desc
	assets  *prometheus.Desc
	waiters *prometheus.Desc
}

// RegisterUpstream exposes f's counters for every known external connection.
func (m *Metrics) RegisterUpstream(f UpstreamStats) {
	c := &upstreamCollector{f: f,
		reqs:    prometheus.NewDesc("wharf_upstream_requests_total", "HTTP requests sent to external connections' upstreams (metadata and assets).", []string{"connection"}, nil),
		errs:    prometheus.NewDesc("wharf_upstream_errors_total", "Upstream requests that failed (transport error or unexpected status).", []string{"connection"}, nil),
		notMod:  prometheus.NewDesc("wharf_upstream_not_modified_total", "Revalidations the upstream answered 304 Not Modified.", []string{"connection"}, nil),
		cache:   prometheus.NewDesc("wharf_upstream_metadata_cache_total", "Upstream metadata lookups by result: hit (fresh cached copy), miss (asked the upstream), stale (upstream failed, cached copy served).", []string{"connection", "result"}, nil),
		assets:  prometheus.NewDesc("wharf_upstream_asset_fetches_total", "Asset downloads from upstreams (each stored once per domain).", []string{"connection"}, nil),
		waiters: prometheus.NewDesc("wharf_upstream_coalesced_total", "Callers answered by an upstream flight shared with at least one other caller (singleflight).", []string{"connection"}, nil),
	}
	for name := range model.ExternalConnections {
		c.conns = append(c.conns, name)
	}
	sort.Strings(c.conns)
	m.Registry.MustRegister(c)
}

func (c *upstreamCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.reqs, c.errs, c.notMod, c.cache, c.assets, c.waiters} {
		ch <- d
	}
}

func (c *upstreamCollector) Collect(ch chan<- prometheus.Metric) {
	for _, conn := range c.conns {
		s := c.f.Stats(conn)
		cm := func(d *prometheus.Desc, v int64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{conn}, extra...)...)
		}
		cm(c.reqs, s.Requests)
		cm(c.errs, s.Errors)
		cm(c.notMod, s.NotModified)
		cm(c.cache, s.CacheHits, "hit")
		cm(c.cache, s.CacheMisses, "miss")
		cm(c.cache, s.StaleServed, "stale")
		cm(c.assets, s.AssetFetches)
		cm(c.waiters, s.Coalesced)
	}
}
