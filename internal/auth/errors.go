// Package auth authenticates wharf's callers: AWS Signature Version 4 for the
// AWS-protocol APIs, authorization tokens for the package endpoints, and the
// admin credential a fresh install starts with.
//
// Every refusal is an *apperr.Error of Kind apperr.Unauthenticated whose Reason is
// the error code the AWS SDKs expect from a JSON/rest-json service. AWS answers
// all of them with HTTP 403; choosing the status is the HTTP layer's job, as is
// respelling the code for the query protocol (STS) with QueryErrorCode.
package auth

import "github.com/wharf-dev/wharf/internal/apperr"

// Error codes (apperr.Error.Reason) of authentication refusals, as JSON-protocol
// AWS services spell them.
const (
	ReasonMissingToken        = "MissingAuthenticationTokenException"
	ReasonIncompleteSignature = "IncompleteSignatureException"
	ReasonUnrecognizedClient  = "UnrecognizedClientException"
	ReasonInvalidSignature    = "InvalidSignatureException"
	ReasonExpiredToken        = "ExpiredTokenException"
)

// Messages AWS sends with the refusals whose wording clients and people recognise.
const (
	msgMissingToken      = "Missing Authentication Token"
	msgUnrecognizedKey   = "The security token included in the request is invalid."
	msgExpiredToken      = "The security token included in the request is expired"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// QueryErrorCode maps an auth refusal's Reason to the code the query protocol
// (STS) uses for it. An expired signature is InvalidSignatureException here and
// SignatureDoesNotMatch there, with the same "Signature expired" message, as in
// AWS. Codes it does not know are returned unchanged.
func QueryErrorCode(reason string) string {
	switch reason {
	case ReasonUnrecognizedClient:
		return "InvalidClientTokenId"
	case ReasonInvalidSignature:
		return "SignatureDoesNotMatch"
	case ReasonMissingToken:
		return "MissingAuthenticationToken"
	case ReasonIncompleteSignature:
		return "IncompleteSignature"
	case ReasonExpiredToken:
		return "ExpiredToken"
	}
	return reason
}

func refuse(reason, format string, args ...any) *apperr.Error {
	return apperr.New(apperr.Unauthenticated, format, args...).WithReason(reason)
}

func incomplete(format string, args ...any) *apperr.Error {
	return refuse(ReasonIncompleteSignature, format, args...)
}

func badSignature(format string, args ...any) *apperr.Error {
	return refuse(ReasonInvalidSignature, format, args...)
}
