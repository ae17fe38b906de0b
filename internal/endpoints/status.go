package endpoints

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// ReasonMethodNotAllowed is the apperr.Validation reason a format handler gives
// a method its endpoint does not accept; HTTPStatus answers it with 405.
const ReasonMethodNotAllowed = "METHOD_NOT_ALLOWED"

// HTTPStatus is the status a package endpoint answers err with. Format
// handlers keep their own bodies and headers, and override it where their
// clients expect otherwise (npm: 402 for QuotaExceeded, 405 for
// NotImplemented, 502 for a malformed upstream document).
//
// No package-endpoint operation has a quota, so QuotaExceeded gets the 500 of
// an unexpected error here.
func HTTPStatus(err error) int {
	e := apperr.As(err)
	switch e.Kind {
	case apperr.Validation:
		if e.Reason == ReasonMethodNotAllowed {
			return http.StatusMethodNotAllowed
		}
		return http.StatusBadRequest
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.AccessDenied:
		return http.StatusForbidden
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Throttling:
		return http.StatusTooManyRequests
	case apperr.NotImplemented:
		return http.StatusNotImplemented
	case apperr.Internal:
		switch {
		case errors.Is(err, upstream.ErrTimeout):
			return http.StatusGatewayTimeout
		case errors.Is(err, upstream.ErrUnavailable):
			return http.StatusBadGateway
		}
	}
	return http.StatusInternalServerError
}

// ClientMessage is the message a package client is shown for err, answered
// with status: an unexpected error (500) is logged with its detail and shown
// only as "internal error"; another 5xx (an upstream failure) is logged as a
// warning and shown as it is; anything else is the error's own message. format
// names the endpoint in the log ("pypi", "cargo", …).
func ClientMessage(r *http.Request, log *slog.Logger, format string, status int, err error) string {
	switch {
	case status == http.StatusInternalServerError:
		log.ErrorContext(r.Context(), format+" request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return "internal error"
	case status >= 500:
		log.WarnContext(r.Context(), format+" upstream failure", "path", r.URL.Path, "err", err)
	}
	return apperr.As(err).Message
}
