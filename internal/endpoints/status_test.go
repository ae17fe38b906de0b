package endpoints

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/upstream"
)

func TestHTTPStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{apperr.Validationf("bad"), http.StatusBadRequest},
		{apperr.New(apperr.Validation, "no").WithReason(ReasonMethodNotAllowed), http.StatusMethodNotAllowed},
		{apperr.NotFoundf("package", "p", "gone"), http.StatusNotFound},
		{apperr.Conflictf("asset", "a", "taken"), http.StatusConflict},
		{apperr.New(apperr.AccessDenied, "no"), http.StatusForbidden},
		{apperr.New(apperr.Unauthenticated, "who"), http.StatusUnauthorized},
		{apperr.New(apperr.TooLarge, "big"), http.StatusRequestEntityTooLarge},
		{apperr.New(apperr.Throttling, "slow"), http.StatusTooManyRequests},
		{apperr.New(apperr.NotImplemented, "later"), http.StatusNotImplemented},
		{apperr.New(apperr.QuotaExceeded, "full"), http.StatusInternalServerError},
		{apperr.New(apperr.Internal, "boom"), http.StatusInternalServerError},
		{errors.New("plain"), http.StatusInternalServerError},
		{apperr.New(apperr.Internal, "slow upstream").Wrap(upstream.ErrTimeout), http.StatusGatewayTimeout},
		{apperr.New(apperr.Internal, "down").Wrap(upstream.ErrUnavailable), http.StatusBadGateway},
		{fmt.Errorf("fetch: %w", upstream.ErrUnavailable), http.StatusBadGateway},
		{apperr.New(apperr.Internal, "both").Wrap(errors.Join(upstream.ErrUnavailable, upstream.ErrTimeout)), http.StatusGatewayTimeout},
		// Only Internal errors look at the upstream cause.
		{apperr.NotFoundf("package", "p", "gone").Wrap(upstream.ErrUnavailable), http.StatusNotFound},
	} {
		if got := HTTPStatus(tc.err); got != tc.want {
			t.Errorf("HTTPStatus(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// An unexpected error's detail is logged, never shown; an upstream failure is
// shown and logged as a warning; a client error is shown as it is.
func TestClientMessage(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	r := httptest.NewRequest(http.MethodGet, "/acme-1/pypi/repo/simple/x/", nil)
	if got := ClientMessage(r, log, "pypi", 500, errors.New("disk on fire")); got != "internal error" ||
		!strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("500: %q, log %q", got, logs.String())
	}
	logs.Reset()
	if got := ClientMessage(r, log, "pypi", 502, apperr.New(apperr.Throttling, "the upstream answered 503")); got != "the upstream answered 503" ||
		!strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "pypi upstream failure") {
		t.Errorf("502: %q, log %q", got, logs.String())
	}
	logs.Reset()
	if got := ClientMessage(r, log, "pypi", 404, apperr.New(apperr.NotFound, "no such project")); got != "no such project" || logs.Len() != 0 {
		t.Errorf("404: %q, log %q", got, logs.String())
	}
}
