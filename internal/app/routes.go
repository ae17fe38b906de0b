package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/awsapi"
	"github.com/wharf-dev/wharf/internal/iam"
	"github.com/wharf-dev/wharf/internal/service"
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
	svc.Identities = iamSvc.Identity
	sts := &awsapi.STS{Log: a.log, Sessions: &iam.STS{IAM: iamSvc}, Identities: svc.Identities, OrgID: svc.OrgID}
	iamAPI := &awsapi.IAM{Svc: iamSvc, Log: a.log, Authorize: func(ctx context.Context, c service.Caller, action, resource string) error {
		return svc.AuthorizeIAM(ctx, c, action, resource)
	}}
	kms := &awsapi.KMS{Svc: &service.KMS{Store: svc.Store, Crypter: a.keys, Region: a.cfg.Region}, Log: a.log}
	packages := a.packageRoutes(svc, tokens)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !a.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if signingService, _, signed := auth.ServiceOf(r); signed {
			res, err := v.Verify(r)
			if err != nil {
				awsapi.WriteAuthError(w, r, a.log, signingService, err, auth.QueryErrorCode)
				return
			}
			logAttr(r, slog.String("principal", res.Principal.ARN), slog.String("service", res.Service))
			caller := service.Caller{Principal: res.Principal, RoleARN: res.RoleARN, SessionTags: res.SessionTags, SessionExpires: res.ExpiresAt, SourceIP: sourceIP(r)}
			switch res.Service {
			case "codeartifact":
				ca.Serve(w, r, caller)
			case "sts":
				sts.Serve(w, r, caller)
			case "iam":
				iamAPI.Serve(w, r, caller)
			case "kms":
				kms.Serve(w, r, res.Principal)
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
			awsapi.WriteAuthError(w, r, a.log, svcName, missingAuth(), auth.QueryErrorCode)
			return
		}
		packages.ServeHTTP(w, r)
	})
	return a.middleware(mux)
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

// requestLog carries per-request attributes added by handlers for the access log.
type requestLog struct{ attrs []slog.Attr }

type ctxKey struct{}

func logAttr(r *http.Request, attrs ...slog.Attr) {
	if rl, ok := r.Context().Value(ctxKey{}).(*requestLog); ok {
		rl.attrs = append(rl.attrs, attrs...)
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer (flush, deadlines).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// middleware gives every request an id (x-amzn-RequestId, which botocore and the
// Go SDK record), recovers panics and writes one structured access-log line.
func (a *App) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var b [16]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Amzn-RequestId", id)
		rl := &requestLog{}
		r = r.WithContext(contextWith(r.Context(), rl))
		sw := &statusWriter{ResponseWriter: w}
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
			attrs := []slog.Attr{
				slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", time.Since(start)),
			}
			a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", append(attrs, rl.attrs...)...)
		}()
		next.ServeHTTP(sw, r)
	})
}
