package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// Causes wrapped inside the apperr.Internal errors this package returns when an
// upstream cannot give an answer. Handlers test them with errors.Is to pick a
// status: ErrTimeout → 504, other ErrUnavailable → 502.
var (
	// ErrUnavailable: the upstream could not be reached, failed (5xx, unexpected
	// status, bad body) and no cached copy could stand in.
	ErrUnavailable = errors.New("upstream unavailable")
	// ErrTimeout: the upstream did not answer in time (also wraps ErrUnavailable).
	ErrTimeout = errors.New("upstream timed out")
	// ErrTooLarge: the upstream document exceeds the configured limit (also
	// wraps ErrUnavailable: it is the upstream's fault, not the client's).
	ErrTooLarge = errors.New("upstream response too large")
	// ErrNotConfigured: the external connection has no --upstream URL.
	ErrNotConfigured = errors.New("external connection has no upstream configured")
	// ErrForbiddenURL: a URL (usually from upstream metadata) points somewhere
	// this connection may not fetch from.
	ErrForbiddenURL = errors.New("upstream URL not allowed")
)

// unavailable builds the error for an upstream that failed: Internal, wrapping
// ErrUnavailable and, when the cause is a timeout, ErrTimeout.
func unavailable(conn string, cause error) *apperr.Error {
	wrapped := fmt.Errorf("%w: %w", ErrUnavailable, cause)
	var ne net.Error
	if errors.Is(cause, context.DeadlineExceeded) || (errors.As(cause, &ne) && ne.Timeout()) {
		wrapped = fmt.Errorf("%w: %w: %w", ErrUnavailable, ErrTimeout, cause)
	}
	// The cause is part of the message: the client sees a 502/504 and, with
	// it, why (a refused redirect, a short body, a timeout), not just "failed".
	return apperr.New(apperr.Internal, "upstream %s is unavailable: %s", conn, cause.Error()).Wrap(wrapped)
}

func notFound(conn, path string) *apperr.Error {
	return apperr.NotFoundf("package", path, "not found upstream %s: %s", conn, path)
}
