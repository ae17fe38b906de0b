// Package awsapi serves the AWS-protocol APIs on wharf's one port: CodeArtifact
// (rest-json, routed by method + path) and STS (query protocol, routed by Action).
// It is the only place where wire shapes and AWS exception names live; the
// use cases are in package service.
package awsapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/plainquery"
	"github.com/wharf-dev/wharf/internal/service"
)

// Authenticate verifies an AWS-protocol request (SigV4) and returns its principal
// and the service named in its credential scope.
type Authenticate func(r *http.Request) (p model.Principal, signingService string, err error)

// Op handles one CodeArtifact operation. It returns the output structure to encode
// as JSON, or an error. An Op that writes the response itself (a streaming asset)
// returns Streamed.
type Op func(ctx context.Context, c service.Caller, req *Request) (any, error)

// Streamed is returned by an Op that wrote its own response.
var Streamed = &struct{}{}

// Request is the parsed HTTP request handed to an Op.
type Request struct {
	HTTP *http.Request
	W    http.ResponseWriter
	// q is the query as url.Values decodes it; nil while the query is plain
	// (see internal/plainquery) and read in place.
	q map[string][]string
}

// newRequest wraps r; its query is parsed only when it holds something to
// decode.
func newRequest(w http.ResponseWriter, r *http.Request) *Request {
	req := &Request{HTTP: r, W: w}
	if !plainquery.Is(r.URL.RawQuery) {
		req.q = r.URL.Query()
	}
	return req
}

// Query returns a query parameter ("" when absent).
func (r *Request) Query(name string) string {
	v, _ := r.lookup(name)
	return v
}

// Has reports whether a query parameter is present.
func (r *Request) Has(name string) bool { _, ok := r.lookup(name); return ok }

// lookup is url.Values' Get and Has in one.
func (r *Request) lookup(name string) (string, bool) {
	if r.q == nil {
		return plainquery.Get(r.HTTP.URL.RawQuery, name)
	}
	v, ok := r.q[name]
	if len(v) == 0 {
		return "", ok
	}
	return v[0], true
}

// Required returns a required query parameter or a ValidationException.
func (r *Request) Required(name string) (string, error) {
	v := r.Query(name)
	if v == "" {
		return "", apperr.Validationf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	}
	return v, nil
}

// Decode reads a JSON request body into v; an empty body is {}.
func (r *Request) Decode(v any) error {
	body, err := io.ReadAll(io.LimitReader(r.HTTP.Body, maxJSONBody+1))
	if err != nil {
		return apperr.New(apperr.Validation, "could not read request body").Wrap(err)
	}
	if len(body) > maxJSONBody {
		return apperr.New(apperr.TooLarge, "request body exceeds %d bytes", maxJSONBody)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apperr.New(apperr.Validation, "could not parse request body as JSON: %v", err).WithReason("CANNOT_PARSE")
	}
	return nil
}

// Int reads an optional integer query parameter within [min, max].
func (r *Request) Int(name string, min, max int64) (*int64, error) {
	if !r.Has(name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(r.Query(name), 10, 64)
	if err != nil || n < min || n > max {
		return nil, apperr.Validationf("%s must be an integer between %d and %d", name, min, max)
	}
	return &n, nil
}

// Page reads max-results / next-token query parameters.
func (r *Request) Page() (service.Page, error) {
	max, err := r.Int("max-results", 1, 1000)
	if err != nil {
		return service.Page{}, err
	}
	return page(max, r.Query("next-token"))
}

const maxJSONBody = 1 << 20

func page(max *int64, token string) (service.Page, error) {
	p := service.Page{Limit: service.DefaultMaxResults}
	if max != nil {
		p.Limit = int(*max)
	}
	if token != "" {
		c, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(c) == 0 {
			return p, apperr.Validationf("nextToken is not a token returned by a previous call")
		}
		p.Token = string(c)
	}
	return p, nil
}

// nextToken makes a store cursor opaque.
func nextToken(cursor string) *string {
	if cursor == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte(cursor))
	return &t
}

type route struct{ method, path string }

// CodeArtifact serves the CodeArtifact control plane.
type CodeArtifact struct {
	Svc *service.Service
	// PublicURL, when set, is the base of the package endpoints; otherwise the
	// request's own scheme and host are used.
	PublicURL string
	Log       *slog.Logger
	ops       map[route]Op
	names     map[route]string
}

// NewCodeArtifact builds the handler with every operation of the model routed:
// those wharf serves, and the rest answering a clear "not implemented" error.
func NewCodeArtifact(svc *service.Service, publicURL string, log *slog.Logger) *CodeArtifact {
	h := &CodeArtifact{Svc: svc, PublicURL: publicURL, Log: log, ops: map[route]Op{}, names: map[route]string{}}
	for _, o := range Operations {
		h.names[route{o.Method, o.Path}] = o.Name
	}
	h.registerDomainOps()
	h.registerRepositoryOps()
	h.registerTagOps()
	h.registerPackageOps()
	h.registerVersionOps()
	h.registerPackageGroupOps()
	return h
}

// Register installs (or replaces) the handler of a named operation.
func (h *CodeArtifact) Register(name string, op Op) {
	for _, o := range Operations {
		if o.Name == name {
			h.ops[route{o.Method, o.Path}] = op
			return
		}
	}
	panic("awsapi: unknown operation " + name)
}

// OperationName names the CodeArtifact operation a request is routed to, or
// "unknown" (a closed set: metrics label it by this).
func (h *CodeArtifact) OperationName(r *http.Request) string {
	if name, ok := h.names[route{r.Method, strings.TrimRight(r.URL.Path, "/")}]; ok {
		return name
	}
	return "unknown"
}

// Serve handles a verified request from caller.
func (h *CodeArtifact) Serve(w http.ResponseWriter, r *http.Request, c service.Caller) {
	rt := route{r.Method, strings.TrimRight(r.URL.Path, "/")}
	name, known := h.names[rt]
	if !known {
		writeError(w, r, h.Log, apperr.New(apperr.Validation, "No CodeArtifact operation matches %s %s", r.Method, r.URL.Path).WithReason("UNKNOWN_OPERATION"))
		return
	}
	op, ok := h.ops[rt]
	if !ok {
		writeError(w, r, h.Log, apperr.New(apperr.NotImplemented, "%s is not implemented by wharf yet", name))
		return
	}
	req := newRequest(w, r)
	out, err := op(r.Context(), c, req)
	if err != nil {
		writeError(w, r, h.Log, err)
		return
	}
	if out == Streamed {
		return
	}
	if out == nil {
		out = struct{}{}
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		h.Log.WarnContext(r.Context(), "writing response", "err", err)
	}
}

// baseURL is the public base for endpoint URLs.
func (h *CodeArtifact) baseURL(r *http.Request) string {
	if h.PublicURL != "" {
		return h.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
