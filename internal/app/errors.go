package app

import (
	"github.com/wharf-dev/wharf/internal/apperr"
)

func missingAuth() error {
	return apperr.New(apperr.Unauthenticated, "Missing Authentication Token").WithReason("MissingAuthenticationTokenException")
}

func unknownService(name string) error {
	return apperr.New(apperr.Unauthenticated, "wharf does not serve the AWS service %q (it serves codeartifact and sts)", name).WithReason("UnrecognizedClientException")
}
