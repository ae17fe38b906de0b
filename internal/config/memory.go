package config

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// DefaultMemoryBudget is --memory-budget's default: the Go runtime's soft
// memory limit, of which the read caches take their share
// (internal/app/budgets.go). Chosen by measurement (bench/RESULTS-rss.md):
// with the binary's pages and SQLite's memory outside Go, wharf then serves
// the bench's 64-client mix under 100 MiB of RSS at the mix's full rate.
const DefaultMemoryBudget = 48 << 20

// MinMemoryBudget is the smallest budget accepted: below it the collector
// runs nearly back to back whatever the caches hold (wharf's heap without any
// cache, under load, is several MiB by itself).
const MinMemoryBudget = 16 << 20

// byteSize is a flag.Value of a size in bytes, written as a number of bytes or
// with a binary unit as GOMEMLIMIT takes it (B, KiB, MiB, GiB, TiB).
type byteSize struct{ p *int64 }

func (b byteSize) String() string {
	if b.p == nil {
		return "0"
	}
	return formatSize(*b.p)
}

func (b byteSize) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*b.p = n
	return nil
}

var sizeUnits = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

// parseSize reads "100663296", "96MiB", "1GiB".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	shift := uint(0)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with B, KiB, MiB, GiB or TiB)", s)
	}
	return n << shift, nil
}

// formatSize writes n with the largest unit that divides it.
func formatSize(n int64) string {
	for _, u := range sizeUnits {
		if u.shift > 0 && n != 0 && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func registerMemory(fs *flag.FlagSet, c *Config) {
	c.MemoryBudget = DefaultMemoryBudget
	fs.Var(byteSize{&c.MemoryBudget}, "memory-budget",
		"memory for Go's heap (bytes, or e.g. 96MiB): the runtime's soft memory limit (GOMEMLIMIT, when set, replaces only that), "+
			"of which the read caches (store rows, decrypted blobs, rendered indexes) get 3/8; RSS adds the binary's pages and SQLite's memory (docs/memory.md)")
}

func (c *Config) validateMemory() error {
	if c.MemoryBudget < MinMemoryBudget {
		return fmt.Errorf("--memory-budget must be at least %s, got %s", formatSize(MinMemoryBudget), formatSize(c.MemoryBudget))
	}
	return nil
}
