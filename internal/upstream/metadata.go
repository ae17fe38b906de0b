package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Doc is a metadata document as the upstream (or the cache standing in for it)
// gave it. Body is shared between concurrent callers: do not modify it.
type Doc struct {
	Body        []byte
	ContentType string
	Status      int    // 200; a 404 is returned as an apperr.NotFound error instead
	ETag        string // the upstream's validator, "" if it sent none
	// URL is the document's upstream URL; resolve relative links in it (a PyPI
	// simple page's file hrefs) against this, then pass them to OpenAsset.
	URL       string
	FetchedAt time.Time // when the upstream last confirmed this body (200 or 304)
	FromCache bool      // no fresh 200 body was downloaded for this call
	Stale     bool      // served from cache because the upstream failed
}

// FetchMetadata returns the document at path (relative to conn's upstream URL,
// escaping kept, e.g. "@types%2fnode", "simple/requests/",
// "org/slf4j/slf4j-api/maven-metadata.xml"), asked for with the given Accept
// header ("" for none). Documents asked with different Accept values are cached
// separately. See the package doc for the order of the layers.
func (f *Fetcher) FetchMetadata(ctx context.Context, conn, path, accept string) (Doc, error) {
	return f.FetchMetadataValid(ctx, conn, path, accept, nil)
}

// FetchMetadataValid is FetchMetadata with a check of each new 200 body before
// it is cached: a body valid refuses (a close-delimited document cut short, an
// error page instead of JSON) counts as a failed fetch — the cached copy, if
// any, is served stale, and nothing is cached — instead of being kept and
// revalidated as if it were the document. valid must be cheap and must not
// keep the body. Concurrent callers of one path share one flight and so the
// first caller's check.
//
// path is relative to the connection's URL or, for formats whose upstream
// names its resources in a configuration document (NuGet's v3 service
// index), an absolute URL held to the same rule as an asset URL: the
// connection's own host or one trusted by TrustAssetHost or Options.AssetHosts.
func (f *Fetcher) FetchMetadataValid(ctx context.Context, conn, path, accept string, valid func(contentType string, body []byte) error) (Doc, error) {
	var u *url.URL
	var err error
	if strings.Contains(path, "://") {
		u, err = f.ResolveAsset(conn, path)
	} else {
		u, err = f.resolvePath(conn, path)
	}
	if err != nil {
		return Doc{}, err
	}
	if f.cache == nil {
		return Doc{}, apperr.New(apperr.Internal, "upstream fetcher has no metadata cache")
	}
	key := metadataKey(conn, path, accept)

	// Layer 2: fresh cache, no lock.
	if e, ok := f.readCache(ctx, key); ok && f.fresh(e) {
		f.stats[conn].cacheHits.Add(1)
		return f.fromEntry(conn, path, u, e)
	}

	// Layer 3: one flight per key, detached from any single caller.
	ch := f.meta.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opt.MetadataTimeout)
		defer cancel()
		unlock, err := f.clusterLock(fctx, key)
		if err != nil {
			return Doc{}, err
		}
		defer unlock()
		return f.refresh(fctx, conn, path, key, u, accept, valid)
	})
	select {
	case r := <-ch:
		if r.Shared {
			f.stats[conn].coalesced.Add(1)
		}
		if r.Err != nil {
			return Doc{}, r.Err
		}
		return r.Val.(Doc), nil
	case <-ctx.Done():
		return Doc{}, ctx.Err()
	}
}

// refresh is the body of a metadata flight: layers 4 and 5.
func (f *Fetcher) refresh(ctx context.Context, conn, path, key string, u *url.URL, accept string, valid func(string, []byte) error) (Doc, error) {
	c := f.stats[conn]
	e, have := f.readCache(ctx, key)
	if have && f.fresh(e) { // layer 4: refreshed by the flight just before ours
		c.cacheHits.Add(1)
		return f.fromEntry(conn, path, u, e)
	}
	c.misses.Add(1)
	var cached *entry
	if have && e.Status == http.StatusOK {
		ce := decodeEntry(e)
		cached = &ce
	}

	var res metaResult
	var err error
	if cached != nil && f.backingOff(conn) {
		err = fmt.Errorf("not retried: %s failed less than %s ago", conn, f.opt.FailureBackoff)
	} else {
		res, err = f.getMetadata(ctx, conn, u, accept, cached)
		if err == nil && res.status == http.StatusOK && valid != nil {
			if verr := valid(res.contentType, res.body); verr != nil {
				c.errors.Add(1)
				err = fmt.Errorf("%s sent an unusable document: %w", u.Redacted(), verr)
			}
		}
		switch {
		case err == nil:
			c.failedAt.Store(0)
		case !errors.Is(err, ErrTooLarge): // one oversize document is not an outage
			c.failedAt.Store(f.opt.Now().UnixNano())
		}
	}
	now := f.opt.Now()
	switch {
	case err != nil:
		if cached != nil {
			c.stale.Add(1)
			f.log.LogAttrs(ctx, slog.LevelWarn, "serving stale upstream metadata",
				slog.String("conn", conn), slog.String("url", u.Redacted()),
				slog.Time("fetched_at", e.FetchedAt), slog.String("error", err.Error()))
			d := cached.doc(u, e.FetchedAt)
			d.FromCache, d.Stale = true, true
			return d, nil
		}
		ae := unavailable(conn, err)
		ae.Message = fmt.Sprintf("upstream %s is unavailable and no copy of %s is cached: %v", conn, path, err)
		return Doc{}, ae

	case res.status == http.StatusNotModified:
		c.notModified.Add(1)
		if res.etag != "" {
			cached.etag = res.etag
		}
		f.writeCache(ctx, cached.cacheEntry(key, now))
		d := cached.doc(u, now)
		d.FromCache = true
		return d, nil

	case res.status == http.StatusNotFound || res.status == http.StatusGone:
		f.writeCache(ctx, model.CacheEntry{Key: key, Status: http.StatusNotFound, FetchedAt: now})
		return Doc{}, notFound(conn, path)

	default: // 200
		ne := entry{body: res.body, contentType: res.contentType, etag: res.etag, lastModified: res.lastModified}
		f.writeCache(ctx, ne.cacheEntry(key, now))
		return ne.doc(u, now), nil
	}
}

type metaResult struct {
	status                          int
	body                            []byte
	contentType, etag, lastModified string
}

// getMetadata performs the (conditional) GET and reads the body within the size
// limit. It returns an error for anything but 200, 304 (when asked
// conditionally), 404 and 410.
func (f *Fetcher) getMetadata(ctx context.Context, conn string, u *url.URL, accept string, cached *entry) (metaResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return metaResult{}, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	conditional := false
	if cached != nil {
		if cached.etag != "" {
			req.Header.Set("If-None-Match", cached.etag)
			conditional = true
		} else if cached.lastModified != "" {
			req.Header.Set("If-Modified-Since", cached.lastModified)
			conditional = true
		}
	}
	ctx, stall := newStallTimer(ctx, f.opt.ReadTimeout)
	defer stall.stop()
	resp, release, err := f.send(ctx, conn, req)
	if err != nil {
		return metaResult{}, err
	}
	defer release()
	defer resp.Body.Close()

	fail := func(err error) (metaResult, error) {
		f.stats[conn].errors.Add(1)
		return metaResult{}, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && conditional:
		return metaResult{status: resp.StatusCode, etag: resp.Header.Get("ETag")}, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return metaResult{status: resp.StatusCode}, nil
	default:
		return fail(fmt.Errorf("unexpected status %s from %s", resp.Status, u.Redacted()))
	}
	limit := f.opt.MaxMetadataBytes
	if resp.ContentLength > limit {
		return fail(fmt.Errorf("%w: %s declares %d bytes, limit %d", ErrTooLarge, u.Redacted(), resp.ContentLength, limit))
	}
	body, err := io.ReadAll(&stallReader{r: io.LimitReader(resp.Body, limit+1), s: stall})
	if err != nil {
		if stall.fired() {
			err = fmt.Errorf("%w: no data for %s", context.DeadlineExceeded, stall.d)
		}
		return fail(fmt.Errorf("reading %s after %d bytes: %w", u.Redacted(), len(body), err))
	}
	if int64(len(body)) > limit {
		return fail(fmt.Errorf("%w: %s exceeds %d bytes", ErrTooLarge, u.Redacted(), limit))
	}
	if resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength {
		return fail(fmt.Errorf("%s ended after %d of its %d bytes", u.Redacted(), len(body), resp.ContentLength))
	}
	return metaResult{
		status:       http.StatusOK,
		body:         body,
		contentType:  resp.Header.Get("Content-Type"),
		etag:         resp.Header.Get("ETag"),
		lastModified: resp.Header.Get("Last-Modified"),
	}, nil
}

// fresh reports whether a cache entry may be served with no upstream request.
func (f *Fetcher) fresh(e model.CacheEntry) bool {
	ttl := f.opt.MetadataTTL
	if e.Status != http.StatusOK {
		ttl = f.opt.NegativeTTL
	}
	age := f.opt.Now().Sub(e.FetchedAt)
	return age >= 0 && age < ttl
}

// fromEntry answers from a fresh entry: a document, or NotFound for a negative one.
func (f *Fetcher) fromEntry(conn, path string, u *url.URL, e model.CacheEntry) (Doc, error) {
	if e.Status != http.StatusOK {
		return Doc{}, notFound(conn, path)
	}
	d := decodeEntry(e).doc(u, e.FetchedAt)
	d.FromCache = true
	return d, nil
}

// readCache treats a failing cache as a miss: the cache speeds wharf up and keeps
// it alive through upstream outages, but must not take it down by itself.
func (f *Fetcher) readCache(ctx context.Context, key string) (model.CacheEntry, bool) {
	e, err := f.cache.GetCache(ctx, key)
	if err != nil {
		if !apperr.Is(err, apperr.NotFound) {
			f.log.LogAttrs(ctx, slog.LevelWarn, "upstream cache read failed", slog.String("key", key), slog.String("error", err.Error()))
		}
		return model.CacheEntry{}, false
	}
	return e, true
}

func (f *Fetcher) writeCache(ctx context.Context, e model.CacheEntry) {
	if err := f.cache.PutCache(ctx, e); err != nil {
		f.log.LogAttrs(ctx, slog.LevelWarn, "upstream cache write failed", slog.String("key", e.Key), slog.String("error", err.Error()))
	}
}

// metadataKey is the cache and singleflight key of a metadata document:
// "meta|FORMAT|CONN|ACCEPT|PATH". The Accept value is part of it because one URL
// answers differently per Accept (npm's abbreviated packument, PEP 691 JSON).
func metadataKey(conn, path, accept string) string {
	return "meta|" + string(model.ExternalConnections[conn]) + "|" + conn + "|" + accept + "|" + strings.TrimLeft(path, "/")
}

// entry is a cached 200 document with everything needed to serve and revalidate
// it. model.CacheEntry has no field for the content type or Last-Modified, so
// they travel in a small header at the start of CacheEntry.Body (see
// encodeEntry); the envelope is private to this package.
type entry struct {
	body                            []byte
	contentType, etag, lastModified string
}

const envelopeMagic = "wharf-upstream-cache/1\n"

func (e entry) cacheEntry(key string, fetched time.Time) model.CacheEntry {
	var b bytes.Buffer
	b.WriteString(envelopeMagic)
	b.WriteString("Content-Type: " + e.contentType + "\n")
	b.WriteString("Last-Modified: " + e.lastModified + "\n\n")
	b.Write(e.body)
	return model.CacheEntry{Key: key, Body: b.Bytes(), ETag: e.etag, Status: http.StatusOK, FetchedAt: fetched}
}

// decodeEntry reverses cacheEntry. A body without the envelope (written by
// something else) is served as-is with no content type.
func decodeEntry(ce model.CacheEntry) entry {
	e := entry{body: ce.Body, etag: ce.ETag}
	rest, ok := bytes.CutPrefix(ce.Body, []byte(envelopeMagic))
	if !ok {
		return e
	}
	head, body, ok := bytes.Cut(rest, []byte("\n\n"))
	if !ok {
		return e
	}
	for _, line := range strings.Split(string(head), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "Content-Type":
			e.contentType = v
		case "Last-Modified":
			e.lastModified = v
		}
	}
	e.body = body
	return e
}

func (e entry) doc(u *url.URL, fetched time.Time) Doc {
	return Doc{Body: e.body, ContentType: e.contentType, Status: http.StatusOK, ETag: e.etag, URL: u.String(), FetchedAt: fetched}
}
