// Package apperr is wharf's one error type. Service code says what went wrong
// (a Kind); the HTTP layers decide how each protocol spells it (an AWS exception,
// an npm JSON error, a PyPI status line). It knows nothing of HTTP.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error. Each maps to one AWS exception type.
type Kind int

const (
	Internal        Kind = iota // InternalServerException, 500
	Validation                  // ValidationException, 400
	NotFound                    // ResourceNotFoundException, 404
	Conflict                    // ConflictException, 409
	AccessDenied                // AccessDeniedException, 403
	QuotaExceeded               // ServiceQuotaExceededException, 402
	Throttling                  // ThrottlingException, 429
	Unauthenticated             // bad/missing credentials: 401 on package endpoints, 403 + specific code on AWS APIs
	NotImplemented              // an operation wharf does not serve yet
	TooLarge                    // request body over a configured limit (413)
)

// Error is the error every wharf layer returns for expected failures.
type Error struct {
	Kind         Kind
	Message      string
	ResourceID   string // for NotFound / Conflict / QuotaExceeded
	ResourceType string // domain | repository | package | package-version | asset
	Reason       string // ValidationException reason, or an auth error code (e.g. InvalidSignatureException)
	Err          error  // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an Error of a kind with a formatted message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// WithResource sets the resource id and type, for NotFound/Conflict errors.
func (e *Error) WithResource(typ, id string) *Error {
	e.ResourceType, e.ResourceID = typ, id
	return e
}

// WithReason sets the ValidationException reason or auth error code.
func (e *Error) WithReason(r string) *Error {
	e.Reason = r
	return e
}

// Wrap attaches an underlying cause.
func (e *Error) Wrap(err error) *Error {
	e.Err = err
	return e
}

// NotFoundf is shorthand for a NotFound error naming a resource.
func NotFoundf(typ, id, format string, args ...any) *Error {
	return New(NotFound, format, args...).WithResource(typ, id)
}

// Conflictf is shorthand for a Conflict error naming a resource.
func Conflictf(typ, id, format string, args ...any) *Error {
	return New(Conflict, format, args...).WithResource(typ, id)
}

// Validationf is shorthand for a ValidationException (FIELD_VALIDATION_FAILED).
func Validationf(format string, args ...any) *Error {
	return New(Validation, format, args...).WithReason("FIELD_VALIDATION_FAILED")
}

// KindOf returns the Kind of err, Internal if it is not an *Error.
func KindOf(err error) Kind {
	if e, ok := err.(*Error); ok {
		return e.Kind // the common case, without errors.As's allocation
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// As returns err as an *Error, wrapping unknown errors as Internal.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Message: "internal error", Err: err}
}
