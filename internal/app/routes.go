package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/blobgc"
	"github.com/wharf-dev/wharf/internal/console"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/metrics"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/reqctx"
	"github.com/wharf-dev/wharf/internal/service"
	"github.com/wharf-dev/wharf/internal/store/cached"
)

// routes builds the one handler for the one port:
//
//	GET /healthz                       readiness
//	SigV4-signed requests              by credential-scope service: codeartifact, sts, kms
//	/v1/... unsigned                   403 MissingAuthenticationTokenException
//	everything else                    package endpoints /{domain}-{owner}/{format}/{repo}/...
func (a *App) routes(svc *service.Service, v *auth.Verifier, tokens *auth.Tokens) http.Handler {
	ca := awsapi.NewCodeArtifact(svc, a.cfg.PublicURL, a.log)
	iamSvc := &iam.Service{Store: svc.Store}
	svc.Identities = memoIdentities(a.readCache, iamSvc.Identity)
	sts := &awsapi.STS{Log: a.log, Sessions: &iam.STS{IAM: iamSvc}, Identities: svc.Identities, OrgID: svc.OrgID}
	iamAPI := &awsapi.IAM{Svc: iamSvc, Log: a.log, Authorize: func(ctx context.Context, c service.Caller, action, resource string) error {
		return svc.AuthorizeIAM(ctx, c, action, resource)
	}}
	kms := &awsapi.KMS{Svc: &service.KMS{Store: svc.Store, Crypter: a.keys, Region: a.cfg.Region, Authorize: svc.AuthorizeKMS},
		Log: a.log, AuthorizeIdentity: svc.AuthorizeIdentity}
	packages := a.packageRoutes(svc, a.Metrics.CountTokens(principalOf{tokens}))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !a.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(a.healthDetail()))
	})
	con := console.New(svc, a.store, a.cfg.PublicURL, a.log)
	mux.Handle("/console/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setOp(r, metrics.SurfaceConsole, "page")
		con.ServeHTTP(w, r)
	}))
	mux.Handle("GET /console", http.RedirectHandler("/console/", http.StatusMovedPermanently))
	if !a.cfg.NoMetrics {
		mux.Handle("GET /metrics", a.Metrics.Handler())
	}
	serve := func(w http.ResponseWriter, r *http.Request) {
		if signingService, _, signed := auth.ServiceOf(r); signed {
			res, err := v.Verify(r)
			if err != nil {
				awsapi.WriteAuthError(w, r, a.log, signingService, err, auth.QueryErrorCode)
				return
			}
			logAttr(r, slog.String("principal", res.Principal.ARN), slog.String("service", res.Service))
			reqctx.SetPrincipal(r.Context(), res.Principal.ARN)
			caller := service.Caller{Principal: res.Principal, RoleARN: res.RoleARN, SessionTags: res.SessionTags, SessionExpires: res.ExpiresAt, SourceIP: sourceIP(r)}
			switch res.Service {
			case "codeartifact":
				setOp(r, metrics.SurfaceCodeArtifact, ca.OperationName(r))
				ca.Serve(w, r, caller)
			case "sts":
				setOp(r, metrics.SurfaceSTS, "sts")
				sts.Serve(w, r, caller)
			case "iam":
				setOp(r, metrics.SurfaceIAM, "iam")
				iamAPI.Serve(w, r, caller)
			case "kms":
				setOp(r, metrics.SurfaceKMS, "kms")
				kms.Serve(w, r, caller)
			default:
				awsapi.WriteAuthError(w, r, a.log, "", unknownService(res.Service), nil)
			}
			return
		}
		if r.Method == http.MethodPost && awsapi.IsWebIdentityRequest(r) {
			// The one AWS call without a signature: the token is the credential.
			sts.ServeUnsigned(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1/") || (r.URL.Path == "/" && r.Method == http.MethodPost) {
			svcName := "codeartifact"
			if r.URL.Path == "/" {
				svcName = "sts"
				if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "TrentService.") {
					svcName = "kms"
				}
			}
			setOp(r, svcName, "unauthenticated")
			awsapi.WriteAuthError(w, r, a.log, svcName, missingAuth(), auth.QueryErrorCode)
			return
		}
		setOp(r, metrics.SurfacePackage, packageFormat(r.URL.Path))
		packages.ServeHTTP(w, r)
	}
	mux.HandleFunc("/", serve)
	return a.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The API and the package endpoints, nearly every request, skip the
		// ServeMux: its path cleaning and pattern match were a few per cent of
		// a cached tarball GET. What it would route elsewhere, or redirect to
		// a cleaned path, still goes through it.
		if p := r.URL.Path; len(p) > 1 && p != "/healthz" && p != "/metrics" && !strings.HasPrefix(p, "/console") && isCleanPath(p) {
			serve(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// isCleanPath reports whether path.Clean would leave p as it is (but for a
// trailing slash): no empty, "." or ".." segment. ServeMux redirects other
// paths to their cleaned form.
func isCleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 1; i <= len(p); {
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		switch seg := p[i : i+j]; seg {
		case ".", "..":
			return false
		case "":
			if i+j < len(p) { // "//" inside the path
				return false
			}
		}
		i += j + 1
	}
	return true
}

// sourceIP is the client's address for aws:SourceIp: the connection's peer
// (wharf does not trust forwarding headers it cannot verify).
func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// requestLog carries per-request attributes added by handlers for the access
// log, and what the metrics label the request by. One allocation per request
// holds it and the counting request body.
type requestLog struct {
	info               reqctx.Info
	attrs              []slog.Attr
	surface, operation string
	body               countingBody
	w                  statusWriter
	// id is the request id's bytes, written once before anything reads
	// them; idHeader is the X-Amzn-RequestId header's value slice. Both live
	// in this one allocation (see middleware).
	id       [32]byte
	idHeader [1]string
	pins     blobgc.Pins
}

// countingBody counts the request body bytes handlers read.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n += int64(n)
	return n, err
}

// principalOf records the principal of a valid token for the audit trail.
type principalOf struct{ next endpoints.TokenValidator }

func (p principalOf) Validate(ctx context.Context, token string) (model.AuthToken, error) {
	at, err := p.next.Validate(ctx, token)
	if err == nil {
		reqctx.SetPrincipal(ctx, at.Principal.ARN)
	}
	return at, err
}

func reqLog(r *http.Request) (*requestLog, bool) {
	if i := reqctx.From(r.Context()); i != nil {
		rl, ok := i.Ext.(*requestLog)
		return rl, ok
	}
	return nil, false
}

func setOp(r *http.Request, surface, operation string) {
	if rl, ok := reqLog(r); ok {
		rl.surface, rl.operation = surface, operation
	}
}

// packageFormat is the format segment of a package endpoint path
// (/{domain}-{owner}/{format}/...), or "unknown": a label from a closed set.
func packageFormat(path string) string {
	rest := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[i+1:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			rest = rest[:j]
		}
		if _, ok := knownFormats[model.Format(rest)]; ok {
			return rest
		}
	}
	return "unknown"
}

var knownFormats = func() map[model.Format]struct{} {
	m := map[model.Format]struct{}{}
	for _, f := range model.ExternalConnections {
		m[f] = struct{}{}
	}
	for _, f := range []model.Format{model.FormatNpm, model.FormatPypi, model.FormatMaven, model.FormatGeneric} {
		m[f] = struct{}{}
	}
	return m
}()

func logAttr(r *http.Request, attrs ...slog.Attr) {
	if rl, ok := reqLog(r); ok {
		rl.attrs = append(rl.attrs, attrs...)
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status. Its cost in profiles is net/http's
// response.WriteHeader below it: the handler's header map is cloned there
// (net/http keeps what it writes apart from later changes), once per
// header, so fewer headers make it cheaper.
func (s *statusWriter) WriteHeader(code int) {
	// An informational 1xx answer (103 Early Hints) is not the response:
	// it is not its status, and it carries the header map as it stands, so
	// no Date yet. 101 ends the HTTP exchange and is the status.
	if s.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		s.status = code
		if code >= 200 {
			s.date()
		}
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
		s.date()
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// date sets the Date header, as net/http would when the header is written,
// from a value formatted once per second (httpDates). net/http formats it
// for every response with time.AppendFormat's general layout walk, about a
// fifth of its header writing on a cached tarball GET; it keeps a Date the
// handler set.
func (s *statusWriter) date() {
	h := s.ResponseWriter.Header()
	if _, ok := h["Date"]; !ok {
		h["Date"] = httpDates.at(time.Now())
	}
}

// httpDates keeps the current second's Date value (http.TimeFormat).
var httpDates dateCache

type dateCache struct{ cur atomic.Pointer[dateValue] }

type dateValue struct {
	sec int64
	v   []string // one element, shared by every response in the second: only read
}

func (c *dateCache) at(t time.Time) []string {
	sec := t.Unix()
	if d := c.cur.Load(); d != nil && d.sec == sec {
		return d.v
	}
	d := &dateValue{sec: sec, v: []string{t.UTC().Format(http.TimeFormat)}}
	c.cur.Store(d)
	return d.v
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// RecordStatus is the status of a response written on a taken-over
// connection (endpoints.WriteWithReason).
func (s *statusWriter) RecordStatus(code int) {
	if s.status == 0 {
		s.status = code
	}
}

// requestIDHeader is x-amzn-RequestId in net/http's canonical form, the key
// under which Header.Get finds it.
const requestIDHeader = "X-Amzn-Requestid"

// middleware gives every request an id (x-amzn-RequestId, which botocore and the
// Go SDK record), recovers panics and writes one structured access-log line.
func (a *App) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rl := &requestLog{surface: metrics.SurfaceOther, operation: "other"}
		requestIDs.idInto(rl.id[:])
		// The id's string shares rl.id's bytes, which are never written
		// again: a string of its own would be one more allocation per
		// request, for the header, the log line and the audit trail.
		id := unsafe.String(&rl.id[0], len(rl.id))
		// The header map is written directly under the canonical key:
		// Header.Set would canonicalize the key and allocate the value slice
		// on every request.
		rl.idHeader[0] = id
		w.Header()[requestIDHeader] = rl.idHeader[:]
		rl.info.RequestID, rl.info.Ext = id, rl
		if r.Body != nil && r.Body != http.NoBody {
			rl.body.ReadCloser = r.Body
			r.Body = &rl.body
		}
		ctx := reqctx.With(r.Context(), &rl.info)
		if a.cfg.Database != "" {
			// Replicas: each domain's cache generation is read once per request.
			ctx = cached.WithRequest(ctx)
		}
		// The request's blob pins (internal/blobgc), released when it is done:
		// by then the asset rows of what it stored are recorded, or never will
		// be, and the blobs are the collector's to judge. Pins a request leaves
		// behind (a crash) go stale after --gc-grace.
		ctx = rl.pins.Context(ctx)
		defer rl.pins.Release(ctx, a.store)
		r = r.WithContext(ctx)
		sw := &rl.w
		sw.ResponseWriter = w
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("panic serving request", "request_id", id, "panic", p)
				if sw.status == 0 {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			if r.URL.Path == "/healthz" {
				return
			}
			if r.URL.Path == "/metrics" {
				rl.surface, rl.operation = metrics.SurfaceMetrics, "scrape"
			}
			code := sw.status
			if code == 0 { // nothing written: net/http answers 200
				code = http.StatusOK
			}
			end := time.Now() // one clock read for the metrics and the log line
			a.Metrics.Op(rl.surface, rl.operation).Done(code, end.Sub(start), rl.body.n, sw.bytes)
			h := a.log.Handler()
			if !h.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			// The record is handed to the handler directly: Logger.LogAttrs
			// would also walk the stack for the caller's PC, which the access
			// line never shows (no AddSource) — 2-3 % of a cached GET's CPU.
			rec := slog.NewRecord(end, slog.LevelInfo, "request", 0)
			rec.AddAttrs(slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", end.Sub(start)))
			rec.AddAttrs(rl.attrs...)
			_ = h.Handle(r.Context(), rec)
		}()
		next.ServeHTTP(sw, r)
	})
}
