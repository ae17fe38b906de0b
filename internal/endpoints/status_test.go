package endpoints

import (
	"errors"
	"fmt"
	"net/http"
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
