package awsapi

import "github.com/wharf-dev/wharf/internal/apperr"

func validationNull(member string) error {
	return apperr.Validationf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

func validationRange(member string, min, max int) error {
	return apperr.Validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have value between %d and %d", member, min, max)
}
