package npm

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/coalesce"
	"github.com/wharf-dev/wharf/internal/gencache"
	"github.com/wharf-dev/wharf/internal/packages"
)

// rendered is a packument as served: the body, its gzip form (made on first
// demand, once), and strong validators for each.
type rendered struct {
	body        []byte
	contentType string
	etag        string // of the identity body
	gzETag      string // of the gzip form
	stale       bool

	// The response's header values, built once per rendering: a cached
	// packument is served many times, and Header.Set canonicalizes its key
	// and allocates a one-element slice per call (plus the Content-Length
	// string and the gzip ETag). Each slice has cap == len, so an Add
	// elsewhere reallocates rather than writing into the shared array;
	// net/http only reads them.
	hType, hETag, hGzETag, hLength []string

	// upstreams are the external documents the packument was built from, as
	// they stood (see upstreamStamp); empty when none was consulted.
	upstreams []packages.Lookup

	gzOnce  sync.Once
	gz      []byte
	hGzSize []string
}

// Header values every packument response shares (see rendered).
var (
	hVary        = []string{"Accept, Accept-Encoding, Authorization"}
	hRevalidate  = []string{"private, max-age=0, must-revalidate"}
	hGzip        = []string{"gzip"}
	hTrue        = []string{"true"}
	hJSON        = []string{"application/json"}
	hAbbreviated = []string{AbbreviatedType}
)

func newRendered(body []byte, contentType string, stale bool, ups []packages.Lookup) *rendered {
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	d := &rendered{body: body, contentType: contentType, etag: etag, stale: stale, upstreams: ups,
		// A different representation, so a different tag (RFC 9110 §8.8.3).
		gzETag: strings.TrimSuffix(etag, `"`) + `-gz"`}
	switch contentType {
	case "application/json":
		d.hType = hJSON
	case AbbreviatedType:
		d.hType = hAbbreviated
	default:
		d.hType = []string{contentType}
	}
	d.hETag, d.hGzETag = []string{d.etag}, []string{d.gzETag}
	d.hLength = []string{strconv.Itoa(len(body))}
	return d
}

// gzipped returns the gzip form, compressing once.
func (d *rendered) gzipped() []byte {
	d.gzOnce.Do(func() {
		var b bytes.Buffer
		b.Grow(len(d.body) / 6)
		zw, _ := gzip.NewWriterLevel(&b, gzip.DefaultCompression)
		_, _ = zw.Write(d.body)
		_ = zw.Close()
		d.gz = b.Bytes()
		d.hGzSize = []string{strconv.Itoa(len(d.gz))}
	})
	return d.gz
}

// gzipETag is the strong validator of the gzip form.
func (d *rendered) gzipETag() string { return d.gzETag }

func (d *rendered) size() int64 { return int64(2*len(d.body)/1 + 512) }

// serve answers r with d: 304 when If-None-Match names either representation,
// gzip when the client accepts it. Header values are assigned under their
// canonical keys ("Etag" is how Header.Set spells "ETag").
func (d *rendered) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Vary"] = hVary
	h["Cache-Control"] = hRevalidate
	if d.stale {
		h[StaleHeader] = hTrue
	}
	useGzip := acceptsGzip(r.Header.Get("Accept-Encoding"))
	if useGzip {
		h["Etag"] = d.hGzETag
	} else {
		h["Etag"] = d.hETag
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListMatches(inm, d.etag, d.gzETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, length := d.body, d.hLength
	if useGzip {
		body, length = d.gzipped(), d.hGzSize
		h["Content-Encoding"] = hGzip
	}
	h["Content-Type"] = d.hType
	h["Content-Length"] = length
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		defer coalesce.Hold(r.Context())() // headers and body in one write
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether an Accept-Encoding value admits gzip (and does
// not refuse it with q=0).
func acceptsGzip(ae string) bool {
	for part := range strings.SplitSeq(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.TrimSpace(coding)
		if !strings.EqualFold(coding, "gzip") && !strings.EqualFold(coding, "x-gzip") {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					return false
				}
			}
		}
		return true
	}
	return false
}

// etagListMatches implements If-None-Match's weak comparison over a list
// ("*", or tags with or without W/).
func etagListMatches(list string, tags ...string) bool {
	for part := range strings.SplitSeq(list, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == "*" {
			return true
		}
		for _, want := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}

// renderCache keeps rendered packuments per (repository, package, form,
// endpoint base), each valid for one domain generation (and, when upstream
// documents went into it, only while they are unchanged: the handler checks
// LookupsUnchanged). One packument may take half the budget: the budget is a
// share of --memory-budget (internal/app/budgets.go), a few MiB by default,
// and a large package's full packument (a ~1 MB body counts twice: its gzip
// form may be kept beside it) must still be served from memory.
type renderCache = gencache.Cache[*rendered]

// RenderCacheStats reports the rendered packuments kept and their bytes.
func (h *Handler) RenderCacheStats() (entries int, bytes int64) { return h.rendered.Stats() }

func newRenderCache(maxBytes int64) *renderCache {
	return gencache.New(maxBytes, maxBytes/2, (*rendered).size)
}
