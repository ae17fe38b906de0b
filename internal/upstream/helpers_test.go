package upstream

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/store"
)

// memCache is an in-memory Cache with the store's NotFound convention. gets
// counts GetCache calls so tests can tell when callers have reached the cache.
type memCache struct {
	mu      sync.Mutex
	entries map[string]model.CacheEntry
	gets    atomic.Int64
}

func newMemCache() *memCache { return &memCache{entries: map[string]model.CacheEntry{}} }

func (c *memCache) GetCache(_ context.Context, key string) (model.CacheEntry, error) {
	c.gets.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok {
		return model.CacheEntry{}, apperr.NotFoundf("cache", key, "no cache entry %s", key)
	}
	e.Body = bytes.Clone(e.Body)
	return e, nil
}

func (c *memCache) PutCache(_ context.Context, e model.CacheEntry) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.Body = bytes.Clone(e.Body)
	c.entries[e.Key] = e
	return nil
}

// clock is an injectable clock; tests move it with advance, never by sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	f     *Fetcher
	cache *memCache
	clock *clock
	logs  *syncBuffer
}

const npmConn = "public:npmjs"

// newEnv builds a Fetcher whose public:npmjs points at base, with a memory
// cache, a fake clock and captured logs. tweak may adjust the options.
func newEnv(t *testing.T, base string, tweak func(*Options)) *env {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{cache: newMemCache(), clock: newClock(), logs: &syncBuffer{}}
	opt := Options{
		MetadataTTL: 5 * time.Minute,
		NegativeTTL: time.Minute,
		Now:         e.clock.Now,
		Logger:      slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if tweak != nil {
		tweak(&opt)
	}
	e.f, err = New(Sources{npmConn: u}, e.cache, opt)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The real metadata store is a Cache.
var _ Cache = store.Store(nil)
