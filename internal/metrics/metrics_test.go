package metrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The request path must not allocate for metrics once an operation and status
// code have been seen.
func TestRequestPathDoesNotAllocate(t *testing.T) {
	m := New()
	m.Op(SurfacePackage, "npm").Done(200, time.Millisecond, 10, 20)
	allocs := testing.AllocsPerRun(1000, func() {
		m.Op(SurfacePackage, "npm").Done(200, time.Millisecond, 10, 20)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per request", allocs)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues(SurfacePackage, "npm", "200")); got != 1002 {
		t.Fatalf("requests = %v", got)
	}
	if got := testutil.ToFloat64(m.bytesOut.WithLabelValues(SurfacePackage, "npm")); got != 1002*20 {
		t.Fatalf("bytes out = %v", got)
	}
}

// Out-of-range status codes are counted as 500 rather than panicking.
func TestOddStatusCodes(t *testing.T) {
	m := New()
	m.Op(SurfaceOther, "other").Done(0, 0, 0, 0)
	m.Op(SurfaceOther, "other").Done(999, 0, 0, 0)
	if got := testutil.ToFloat64(m.requests.WithLabelValues(SurfaceOther, "other", "500")); got != 2 {
		t.Fatalf("requests{code=500} = %v", got)
	}
}
