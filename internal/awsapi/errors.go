package awsapi

import (
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// exception is how one apperr.Kind is spelled on the rest-json wire.
type exception struct {
	status int
	name   string
}

var exceptions = map[apperr.Kind]exception{
	apperr.Validation:    {http.StatusBadRequest, "ValidationException"},
	apperr.NotFound:      {http.StatusNotFound, "ResourceNotFoundException"},
	apperr.Conflict:      {http.StatusConflict, "ConflictException"},
	apperr.AccessDenied:  {http.StatusForbidden, "AccessDeniedException"},
	apperr.QuotaExceeded: {http.StatusPaymentRequired, "ServiceQuotaExceededException"},
	apperr.Throttling:    {http.StatusTooManyRequests, "ThrottlingException"},
	apperr.Internal:      {http.StatusInternalServerError, "InternalServerException"},
	// Operations of the model wharf does not serve yet answer with a typed
	// ValidationException (reason UNKNOWN_OPERATION): every operation declares it,
	// so SDKs surface it as a typed error, and it is not retried.
	apperr.NotImplemented: {http.StatusBadRequest, "ValidationException"},
	apperr.TooLarge:       {http.StatusRequestEntityTooLarge, "ValidationException"},
}

// writeError is the one place where errors become CodeArtifact exceptions.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apperr.As(err)
	ex, ok := exceptions[e.Kind]
	if !ok {
		ex = exceptions[apperr.Internal]
	}
	if e.Kind == apperr.Unauthenticated {
		// Signature failures are front-end errors outside the model (e.g.
		// UnrecognizedClientException, InvalidSignatureException), sent as 403.
		ex = exception{http.StatusForbidden, e.Reason}
		if ex.name == "" {
			ex.name = "UnrecognizedClientException"
		}
	}
	body := map[string]any{"message": e.Message}
	switch e.Kind {
	case apperr.Internal:
		log.ErrorContext(r.Context(), "internal error", "err", err)
		body["message"] = "An internal error occurred; the request id identifies it in wharf's log"
	case apperr.NotFound, apperr.Conflict, apperr.QuotaExceeded:
		if e.ResourceID != "" {
			body["resourceId"] = e.ResourceID
		}
		if e.ResourceType != "" {
			body["resourceType"] = e.ResourceType
		}
	case apperr.Validation, apperr.NotImplemented, apperr.TooLarge:
		reason := e.Reason
		if reason == "" {
			reason = "OTHER"
		}
		if e.Kind == apperr.NotImplemented {
			reason = "UNKNOWN_OPERATION"
		}
		body["reason"] = reason
	case apperr.Throttling:
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", ex.name)
	w.WriteHeader(ex.status)
	_ = json.NewEncoder(w).Encode(body)
}

// stsErrorResponse is the awsQuery error document.
type stsErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

// writeQueryError writes an STS (awsQuery) error.
func writeQueryError(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, code, msg string) {
	var doc stsErrorResponse
	doc.Xmlns = stsNamespace
	doc.Error.Type = "Sender"
	if status >= 500 {
		doc.Error.Type = "Receiver"
	}
	doc.Error.Code, doc.Error.Message = code, msg
	doc.RequestID = w.Header().Get("X-Amzn-RequestId")
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(doc)
}

func asError(err error) *apperr.Error { return apperr.As(err) }
