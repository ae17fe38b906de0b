package service

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// A format the router does not serve is refused as a ValidationException that
// names what is served; with no router answer (Serves nil) every format is.
func TestCheckServed(t *testing.T) {
	s := &Service{}
	if err := s.checkServed(model.FormatSwift); err != nil {
		t.Fatalf("Serves nil: %v", err)
	}
	s.Serves = func(f model.Format) bool { return f == model.FormatNpm }
	if err := s.checkServed(model.FormatNpm); err != nil {
		t.Fatalf("npm served: %v", err)
	}
	err := s.checkServed(model.FormatSwift)
	if !apperr.Is(err, apperr.Validation) || !strings.Contains(err.Error(), "does not serve the swift format yet (it serves npm)") {
		t.Fatalf("swift: %v, want a ValidationException naming npm", err)
	}
}
