package service

import (
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// checkServed refuses a format whose endpoint wharf does not serve.
func (s *Service) checkServed(f model.Format) error {
	if s.Serves == nil || s.Serves(f) {
		return nil
	}
	var served []string
	for _, x := range model.Formats {
		if s.Serves(x) {
			served = append(served, string(x))
		}
	}
	return apperr.Validationf("wharf does not serve the %s format yet (it serves %s); see docs/compatibility.md", f, strings.Join(served, ", "))
}

// checkProxied refuses an external connection of a served format whose
// pull-through wharf does not implement (the connection would resolve
// nothing).
func (s *Service) checkProxied(name string, f model.Format) error {
	if s.Proxies == nil || s.Proxies(f) {
		return nil
	}
	return apperr.Validationf("wharf serves the %s format but does not proxy %s yet; see docs/compatibility.md", f, name)
}
