package sqlite

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/model"
)

// outsideGoKiB is the process's anonymous resident memory that Go's runtime
// does not account for (RssAnon − (Sys − HeapReleased)), after a collection
// that returns Go's free pages: here, SQLite's C heap.
func outsideGoKiB(t *testing.T) int64 {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kib - int64(m.Sys-m.HeapReleased)/1024
		}
	}
	t.Skip("no RssAnon in /proc/self/status")
	return 0
}

// TestTrimCMemoryReturnsFreedRegions: large values read through several
// readers at once leave their regions in modernc's allocator after the rows
// are gone; trimCMemory gives them back. It fails if the variables
// cmem_libc.go reaches are not the allocator SQLite uses (nothing would be
// returned).
func TestTrimCMemoryReturnsFreedRegions(t *testing.T) {
	if !libcTrimmable {
		t.Skip("libc's allocator is not reachable on this platform (cmem_other.go)")
	}
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "wharf.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	// Upstream documents as npm ci's warm-up stores them: a few MiB each, of
	// several sizes (each its own size class in the allocator).
	const n = 6
	for i := range n {
		body := bytes.Repeat([]byte{byte('a' + i)}, (1<<20)+i*(512<<10))
		if err := s.PutCache(ctx, model.CacheEntry{Key: fmt.Sprint("k", i), Body: body, Status: 200, FetchedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 4*n; i += 4 {
				if _, err := s.GetCache(ctx, fmt.Sprint("k", i%n)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	before := outsideGoKiB(t)
	if err := trimCMemory(); err != nil {
		t.Fatalf("trimCMemory: %v", err)
	}
	after := outsideGoKiB(t)
	t.Logf("memory outside Go's heap: %d KiB before the trim, %d KiB after", before, after)
	// The values were 1-3.5 MiB each, read 4 at a time and written one at
	// a time: several MiB of their regions are retained until the trim.
	if before-after < 4<<10 {
		t.Errorf("trimCMemory returned %d KiB, want at least 4 MiB of the retained regions", before-after)
	}
}
