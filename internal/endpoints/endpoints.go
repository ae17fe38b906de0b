// Package endpoints dispatches package-endpoint requests,
// /{domain}-{owner}/{format}/{repository}/..., to the format handlers after
// authenticating the authorization token and loading the repository. Each format
// handler owns its wire protocol and how its clients expect errors.
package endpoints

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/auth"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/service"
)

// Request is a package-endpoint request, authenticated and resolved.
type Request struct {
	Repo      model.Repository
	Principal model.Principal
	// SessionTags are the tags of the STS session the token was issued to;
	// SourceIP is the TCP peer (aws:SourceIp). Both are decision inputs.
	SessionTags map[string]string
	SourceIP    string
	// Path is what follows the repository's endpoint, without a leading slash
	// (e.g. "lodash", "@scope%2fname", "-/ping", "simple/requests/").
	Path string
	// Base is the repository's endpoint URL with a trailing slash, as
	// GetRepositoryEndpoint returns it; format handlers build asset URLs on it.
	Base string
	// Package, when set, is the package a package-level action (publishing)
	// acts on: the action is decided on the package's own ARN, as in AWS.
	Package *PackageName
}

// PackageName names a package of the request's repository.
type PackageName struct {
	Format          model.Format
	Namespace, Name string
}

// ForPackage is req about one package (see Request.Package).
func ForPackage(req *Request, format model.Format, namespace, name string) *Request {
	r := *req
	r.Package = &PackageName{Format: format, Namespace: namespace, Name: name}
	return &r
}

// Caller is who makes req, as IAM's decision sees it.
func (req *Request) Caller() service.Caller {
	return service.Caller{Principal: req.Principal, SessionTags: req.SessionTags, SourceIP: req.SourceIP}
}

// PackageAuthorizer decides an action on a package of a repository.
type PackageAuthorizer func(ctx context.Context, c service.Caller, action string, repo model.Repository, pkg PackageName) error

// Handler serves one package format.
type Handler interface {
	// Serve handles an authenticated request.
	Serve(w http.ResponseWriter, r *http.Request, req *Request)
	// WriteError answers an error the way the format's clients understand,
	// including authentication failures (apperr.Unauthenticated) before Serve.
	WriteError(w http.ResponseWriter, r *http.Request, err error)
	// Public reports whether a request needs no token (e.g. npm's ping). Such a
	// request is served without any lookup: its Request.Repo is the repository as
	// named in the path, not known to exist, and it has no principal. Most formats
	// answer false for everything.
	Public(r *http.Request, path string) bool
}

// TokenValidator validates authorization tokens (auth.Tokens satisfies it).
type TokenValidator interface {
	Validate(ctx context.Context, token string) (model.AuthToken, error)
}

// Authorizer decides whether principal may perform action on a repository,
// consulting resource policies. nil allows same-account principals only.
type Authorizer func(ctx context.Context, c service.Caller, action string, repo model.Repository) error

// Router dispatches to format handlers.
type Router struct {
	Svc       *service.Service
	Tokens    TokenValidator
	Authorize Authorizer
	// DomainKeyUsable, when set, refuses every request to a domain whose
	// encryption key cannot be used (disabled or pending deletion).
	DomainKeyUsable func(ctx context.Context, owner, domain string) error
	// AuthorizePackage decides package-level actions; nil decides them on the
	// repository with Authorize.
	AuthorizePackage PackageAuthorizer
	PublicURL        string
	Log              *slog.Logger
	formats          map[model.Format]Handler
	fallback         http.Handler
}

// NewRouter builds a router; fallback answers paths that are no package endpoint.
func NewRouter(svc *service.Service, tokens TokenValidator, publicURL string, log *slog.Logger, fallback http.Handler) *Router {
	return &Router{Svc: svc, Tokens: tokens, PublicURL: publicURL, Log: log, formats: map[model.Format]Handler{}, fallback: fallback}
}

// Handle registers a format's handler.
func (rt *Router) Handle(f model.Format, h Handler) { rt.formats[f] = h }

// Handles reports whether a format has a handler.
func (rt *Router) Handles(f model.Format) bool { _, ok := rt.formats[f]; return ok }

// ParsePath splits /{domain}-{owner}/{format}/{repo}/{rest}. The owner is the
// last 12 characters of the first segment, so domain names keep their hyphens.
func ParsePath(p string) (domain, owner string, format model.Format, repo, rest string, ok bool) {
	domain, owner, format, repo, rest, _, ok = parsePath(p)
	return
}

// parsePath is ParsePath that also returns the length of p's endpoint prefix,
// /{domain}-{owner}/{format}/{repo}. It cuts the segments in place: every
// package request is parsed, and strings.SplitN allocated their slice.
func parsePath(p string) (domain, owner string, format model.Format, repo, rest string, prefix int, ok bool) {
	s := strings.TrimPrefix(p, "/")
	lead := len(p) - len(s)
	i := strings.IndexByte(s, '/')
	if i < 0 {
		return
	}
	seg, s2 := s[:i], s[i+1:]
	j := strings.IndexByte(s2, '/')
	if j < 0 {
		return
	}
	f, s3 := s2[:j], s2[j+1:]
	repo = s3
	if k := strings.IndexByte(s3, '/'); k >= 0 {
		repo, rest = s3[:k], s3[k+1:]
	}
	if len(seg) < 14 || seg[len(seg)-13] != '-' {
		return "", "", "", "", "", 0, false
	}
	domain, owner = seg[:len(seg)-13], seg[len(seg)-12:]
	for _, c := range owner {
		if c < '0' || c > '9' {
			return "", "", "", "", "", 0, false
		}
	}
	if repo == "" {
		return "", "", "", "", "", 0, false
	}
	return domain, owner, model.Format(f), repo, rest, lead + i + 1 + j + 1 + len(repo), true
}

// base is the repository's endpoint URL (service.EndpointPath on the base
// URL): p's endpoint prefix is that path, spelled as parsePath read it, so it
// is reused rather than built again. One concatenation per request, where
// building the path and the URL took three.
func (rt *Router) base(r *http.Request, p string, prefix int) string {
	path, slash := p[:prefix], "/" // /{domain}-{owner}/{format}/{repo}
	if len(p) > prefix {           // p[prefix] is the slash after the repository
		path, slash = p[:prefix+1], ""
	}
	if !strings.HasPrefix(path, "/") { // not a request path (a client's RequestURI has one)
		path = "/" + path
	}
	if rt.PublicURL != "" {
		return strings.TrimRight(rt.PublicURL, "/") + path + slash
	}
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host + path + slash
}

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Work on the escaped path so "%2f" in npm scoped names survives to the handler.
	p := r.URL.EscapedPath()
	domain, owner, format, repoName, rest, prefix, ok := parsePath(p)
	h, known := rt.formats[format]
	if !ok || !known {
		rt.fallback.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	base := rt.base(r, p, prefix)
	if h.Public(r, rest) {
		// The answer must not depend on whether the domain or the repository
		// exists (in any account), so nothing is looked up and no token is
		// checked; the handler gets the repository as named, unverified.
		h.Serve(w, r, &Request{Repo: model.Repository{DomainOwner: owner, DomainName: domain, Name: repoName}, Path: rest, Base: base})
		return
	}
	tok, found := auth.TokenFromRequest(r)
	if !found {
		h.WriteError(w, r, apperr.New(apperr.Unauthenticated, "authentication required: use the token from `aws codeartifact get-authorization-token` (aws codeartifact login configures it)"))
		return
	}
	at, err := rt.Tokens.Validate(ctx, tok)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	if at.DomainName != domain || at.DomainOwner != owner {
		h.WriteError(w, r, apperr.New(apperr.Unauthenticated, "the authorization token was issued for domain %s (owner %s), not %s", at.DomainName, at.DomainOwner, domain))
		return
	}
	// The token names this domain; it must also be this incarnation of it.
	d, err := rt.Svc.GetDomain(ctx, owner, domain)
	if apperr.Is(err, apperr.NotFound) {
		err = apperr.New(apperr.Unauthenticated, "the authorization token's domain %s no longer exists", domain)
	}
	if err == nil {
		err = auth.CheckDomain(at, d)
	}
	if err == nil && rt.DomainKeyUsable != nil {
		// Caches above the encryption (rendered indexes, decrypted small blobs)
		// must not outlive the domain key's usability.
		err = rt.DomainKeyUsable(ctx, owner, domain)
	}
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	repo, err := rt.Svc.GetRepository(ctx, owner, domain, repoName)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	h.Serve(w, r, &Request{Repo: repo, Principal: at.Principal, SessionTags: at.SessionTags, SourceIP: peerIP(r), Path: rest, Base: base})
}

// Check authorizes an action on the request's repository.
func (rt *Router) Check(ctx context.Context, req *Request, action string) error {
	if req.Package != nil && rt.AuthorizePackage != nil {
		return rt.AuthorizePackage(ctx, req.Caller(), action, req.Repo, *req.Package)
	}
	if rt.Authorize != nil {
		return rt.Authorize(ctx, req.Caller(), action, req.Repo)
	}
	if req.Principal.Account != req.Repo.DomainOwner {
		return apperr.New(apperr.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", req.Principal.ARN, action, req.Repo.ARN())
	}
	return nil
}

// peerIP is the TCP peer's address: aws:SourceIp, as on the control plane
// (forwarding headers are not trusted).
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

// Actions the package endpoints authorize (the IAM actions CodeArtifact's
// resource policies name for reading and publishing through a package manager).
const (
	ActionRead    = "codeartifact:ReadFromRepository"
	ActionPublish = "codeartifact:PublishPackageVersion"
)

// Checker authorizes an action on a request's repository; Router.Check is one.
type Checker func(ctx context.Context, req *Request, action string) error
