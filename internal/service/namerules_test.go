package service

import (
	"regexp"
	"strings"
	"testing"
)

// The model's patterns, which isDomainName and isRepositoryName write out.
var (
	modelDomainRe     = regexp.MustCompile(`^[a-z][a-z0-9\-]{0,48}[a-z0-9]$`)
	modelRepositoryRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$`)
)

func checkNameRules(t *testing.T, s string) {
	t.Helper()
	if got, want := isDomainName(s), modelDomainRe.MatchString(s); got != want {
		t.Errorf("isDomainName(%q) = %v, the model's pattern says %v", s, got, want)
	}
	if got, want := isRepositoryName(s), modelRepositoryRe.MatchString(s); got != want {
		t.Errorf("isRepositoryName(%q) = %v, the model's pattern says %v", s, got, want)
	}
}

func TestNameRulesAreTheModels(t *testing.T) {
	for _, s := range []string{"", "a", "ab", "a-", "-a", "a-b", "A-b", "9ab", "ab9", "a_b", "a.b", "ab\n", "a\nb", "é1",
		strings.Repeat("a", 50), strings.Repeat("a", 51), strings.Repeat("a", 100), strings.Repeat("a", 101), "a" + strings.Repeat("-", 48) + "b",
		"Repo.Name_1-x", ".ab", "_ab", "a b", "ab\x00", "a\u00e9"} {
		checkNameRules(t, s)
	}
	// Every one- and two-byte name, and every byte in each position of a
	// three-byte one.
	for a := range 256 {
		checkNameRules(t, string([]byte{byte(a)}))
		for b := range 256 {
			checkNameRules(t, string([]byte{byte(a), byte(b)}))
			checkNameRules(t, string([]byte{'a', byte(a), byte(b)}))
		}
	}
}

func FuzzNameRules(f *testing.F) {
	f.Add("my-domain")
	f.Add("Repo.Name_1")
	f.Fuzz(func(t *testing.T, s string) { checkNameRules(t, s) })
}
