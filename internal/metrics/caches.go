package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheStats reports what one read cache holds now: its entries and their
// bytes as the cache counts them against its budget.
type CacheStats func() (entries int, bytes int64)

// cacheCollector reads each cache's counters at scrape time (the caches keep
// them under their own locks; nothing is added to the request path).
type cacheCollector struct {
	names   []string
	stats   map[string]CacheStats
	budgets map[string]int64
	bytes   *prometheus.Desc
	entries *prometheus.Desc
	budget  *prometheus.Desc
}

// RegisterCaches exposes the read caches' sizes against their budgets
// (--memory-budget's split), by cache name: what an operator sizing the
// budget compares.
func (m *Metrics) RegisterCaches(stats map[string]CacheStats, budgets map[string]int64) {
	c := &cacheCollector{stats: stats, budgets: budgets,
		bytes:   prometheus.NewDesc("wharf_cache_bytes", "Bytes a read cache holds, as counted against its budget.", []string{"cache"}, nil),
		entries: prometheus.NewDesc("wharf_cache_entries", "Entries a read cache holds.", []string{"cache"}, nil),
		budget:  prometheus.NewDesc("wharf_cache_budget_bytes", "A read cache's budget (its share of --memory-budget).", []string{"cache"}, nil),
	}
	for name := range stats {
		c.names = append(c.names, name)
	}
	sort.Strings(c.names)
	m.Registry.MustRegister(c)
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.bytes
	ch <- c.entries
	ch <- c.budget
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range c.names {
		n, b := c.stats[name]()
		ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(b), name)
		ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(n), name)
		if max, ok := c.budgets[name]; ok {
			ch <- prometheus.MustNewConstMetric(c.budget, prometheus.GaugeValue, float64(max), name)
		}
	}
}
