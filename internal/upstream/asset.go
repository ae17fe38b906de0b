package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// Asset is an open upstream file handed to a FetchAndStore store callback.
type Asset struct {
	Body        io.Reader // the stream; read it once, do not close it
	Size        int64     // Content-Length, -1 when unknown
	ContentType string
	URL         string // where it was fetched from
}

// OpenAsset opens an immutable file on conn's upstream as a stream. urlOrPath is
// either a path relative to the upstream URL (escaping kept, like FetchMetadata)
// or an absolute URL taken from upstream metadata; an absolute URL must be on the
// upstream's own host (or one of Options.AssetHosts[conn], or any host with
// Options.AllowAnyAssetHost) and may not downgrade https to http. A fragment
// (PyPI's "#sha256=…") is dropped. The caller must close the stream; it holds one
// of the connection's request slots until then.
//
// Errors: apperr.NotFound for 404/410, apperr.Validation for a refused URL
// (wrapping ErrForbiddenURL), apperr.Internal wrapping ErrUnavailable otherwise.
func (f *Fetcher) OpenAsset(ctx context.Context, conn, urlOrPath string) (body io.ReadCloser, size int64, contentType string, err error) {
	u, err := f.ResolveAsset(conn, urlOrPath)
	if err != nil {
		return nil, 0, "", err
	}
	a, closeFn, err := f.openAsset(ctx, conn, urlOrPath, u)
	if err != nil {
		return nil, 0, "", err
	}
	return readCloser{Reader: a.Body, close: closeFn}, a.Size, a.ContentType, nil
}

// ResolveAsset returns the URL OpenAsset would fetch for urlOrPath, or the error
// it would refuse it with. Handlers may use it to validate links while parsing
// upstream metadata.
func (f *Fetcher) ResolveAsset(conn, urlOrPath string) (*url.URL, error) {
	b, err := f.base(conn)
	if err != nil {
		return nil, err
	}
	ref, _, _ := strings.Cut(urlOrPath, "#")
	if !strings.Contains(ref, "://") && !strings.HasPrefix(ref, "//") {
		return f.resolvePath(conn, ref)
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return nil, forbidden("asset URL %q is not an absolute http(s) URL", ref)
	}
	if b.Scheme == "https" && u.Scheme != "https" {
		return nil, forbidden("asset URL %q downgrades the upstream's https to http", ref)
	}
	if !f.opt.AllowAnyAssetHost && !f.assetHostAllowed(conn, b, u) {
		return nil, forbidden("asset URL %q is not on upstream %s's host %s", ref, conn, b.Host)
	}
	if err := checkSegments(strings.TrimPrefix(u.EscapedPath(), "/")); err != nil {
		return nil, err
	}
	return u, nil
}

func (f *Fetcher) assetHostAllowed(conn string, b, u *url.URL) bool {
	if strings.EqualFold(u.Host, b.Host) {
		return true
	}
	for _, h := range f.assetHosts(conn) {
		if strings.EqualFold(u.Host, h) {
			return true
		}
	}
	return false
}

func forbidden(format string, args ...any) *apperr.Error {
	return apperr.New(apperr.Validation, format, args...).WithReason("FIELD_VALIDATION_FAILED").Wrap(ErrForbiddenURL)
}

// openAsset sends the GET and maps the status; on success closeFn closes the
// body and frees the request slot.
func (f *Fetcher) openAsset(ctx context.Context, conn, ref string, u *url.URL) (Asset, func() error, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Asset{}, nil, apperr.Validationf("invalid asset URL %q", u.Redacted())
	}
	// Identity: the bytes must be the ones the upstream's hashes describe, not a
	// transparently decompressed version of them.
	req.Header.Set("Accept-Encoding", "identity")
	// The body is read under a context the stall timer cancels, so an upstream
	// that stops sending mid-body frees the request after ReadTimeout instead
	// of holding it until AssetTimeout.
	ctx, stall := newStallTimer(ctx, f.opt.ReadTimeout)
	resp, release, err := f.send(ctx, conn, req)
	if err != nil {
		stall.stop()
		return Asset{}, nil, unavailable(conn, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusGone:
		stall.stop()
		resp.Body.Close()
		release()
		return Asset{}, nil, apperr.NotFoundf("asset", ref, "asset not found upstream %s: %s", conn, ref)
	default:
		stall.stop()
		resp.Body.Close()
		release()
		f.stats[conn].errors.Add(1)
		return Asset{}, nil, unavailable(conn, fmt.Errorf("unexpected status %s from %s", resp.Status, u.Redacted()))
	}
	if limit := f.opt.MaxAssetBytes; limit > 0 && resp.ContentLength > limit {
		stall.stop()
		resp.Body.Close()
		release()
		f.stats[conn].errors.Add(1)
		return Asset{}, nil, unavailable(conn, fmt.Errorf("%w: %s declares %d bytes, limit %d", ErrTooLarge, u.Redacted(), resp.ContentLength, limit))
	}
	var r io.Reader = resp.Body
	if limit := f.opt.MaxAssetBytes; limit > 0 {
		r = &capReader{r: resp.Body, left: limit}
	}
	body := &assetBody{r: r, conn: conn, url: u.Redacted(), want: resp.ContentLength, stall: stall}
	var once sync.Once
	closeFn := func() error {
		stall.stop()
		err := resp.Body.Close()
		once.Do(release)
		return err
	}
	return Asset{Body: body, Size: resp.ContentLength, ContentType: resp.Header.Get("Content-Type"), URL: u.String()}, closeFn, nil
}

// assetBody is the stream an asset's reader sees. It ends with io.EOF only when
// the upstream finished cleanly AND sent exactly the Content-Length it declared;
// every other ending — a reset, a short body (io.ErrUnexpectedEOF), a stalled
// read, the size cap — is an apperr.Internal error wrapping ErrUnavailable
// (and ErrTimeout for a stall), so whatever consumes it (a blob Put) stores
// nothing and the client gets a 502/504 rather than a 500.
type assetBody struct {
	r     io.Reader
	conn  string
	url   string
	want  int64 // Content-Length, -1 if unknown
	n     int64
	stall *stallTimer
	err   error // sticky
}

func (a *assetBody) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	a.stall.arm()
	n, err := a.r.Read(p)
	a.stall.disarm()
	a.n += int64(n)
	switch {
	case err == nil:
		if a.want >= 0 && a.n > a.want {
			a.err = unavailable(a.conn, fmt.Errorf("%s sent more than its Content-Length of %d bytes", a.url, a.want))
			return 0, a.err
		}
		return n, nil
	case err == io.EOF:
		if a.want >= 0 && a.n != a.want {
			a.err = unavailable(a.conn, fmt.Errorf("%s ended after %d of its %d bytes", a.url, a.n, a.want))
			return 0, a.err
		}
		return n, io.EOF
	}
	if a.stall.fired() {
		err = fmt.Errorf("%w: no data for %s", context.DeadlineExceeded, a.stall.d)
	}
	a.err = unavailable(a.conn, fmt.Errorf("reading %s after %d bytes: %w", a.url, a.n, err))
	return 0, a.err
}

// FetchAndStore implements "fetch once, verify, store" for an immutable asset.
// Concurrent callers with the same conn and resolved URL share one flight, which
//
//  1. calls have (if not nil): when it reports the asset as already stored, its
//     value is the result and nothing is fetched;
//  2. opens the asset upstream (OpenAsset) and calls store with the stream;
//     store verifies and keeps it (e.g. blob ingest with the expected hash) and
//     its value or error is every waiter's result.
//
// have is also called once before joining the flight, so a stored asset never
// waits behind a fetch. The flight is detached from the first caller's context
// (bounded by Options.AssetTimeout) so a client hanging up does not abort the
// store others wait for; each caller stops waiting when its own ctx ends.
// Callers sharing a key must use the same T.
func FetchAndStore[T any](ctx context.Context, f *Fetcher, conn, urlOrPath string,
	have func(ctx context.Context) (T, bool, error),
	store func(ctx context.Context, a Asset) (T, error),
) (T, error) {
	var zero T
	u, err := f.ResolveAsset(conn, urlOrPath)
	if err != nil {
		return zero, err
	}
	if have != nil {
		if v, ok, err := have(ctx); err != nil {
			return zero, err
		} else if ok {
			return v, nil
		}
	}
	key := "asset|" + conn + "|" + u.String()
	ch := f.assets.DoChan(key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opt.AssetTimeout)
		defer cancel()
		// Across replicas: one flight at a time per asset; the re-check below
		// then finds what another replica stored while this one waited.
		unlock, err := f.clusterLock(fctx, key)
		if err != nil {
			return zero, err
		}
		defer unlock()
		if have != nil {
			if v, ok, err := have(fctx); err != nil || ok {
				return v, err
			}
		}
		f.stats[conn].assetFetches.Add(1)
		a, closeFn, err := f.openAsset(fctx, conn, urlOrPath, u)
		if err != nil {
			return zero, err
		}
		defer closeFn()
		return store(fctx, a)
	})
	select {
	case r := <-ch:
		if r.Shared {
			f.stats[conn].coalesced.Add(1)
		}
		f.forgetMemo(ctx) // the flight may have stored what this request looked up before
		if r.Err != nil || r.Val == nil {
			v, _ := r.Val.(T)
			return v, r.Err
		}
		v, ok := r.Val.(T)
		if !ok {
			return zero, apperr.New(apperr.Internal, "upstream asset flight %s returned %T", u.Redacted(), r.Val)
		}
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// capReader fails a read that goes past the asset size limit, for streams whose
// length was not declared up front.
type capReader struct {
	r    io.Reader
	left int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One probe byte tells "exactly at the limit" from "over it".
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: asset exceeds the size limit", ErrTooLarge)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
