package service

import (
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// Name rules from the model shapes (reference §4.3).
var (
	accountRe  = regexp.MustCompile(`^[0-9]{12}$`)
	extConnRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-:]{1,99}$`)
	revisionRe = regexp.MustCompile(`^\S{1,100}$`)
)

// validDomainName is the model's ^[a-z][a-z0-9\-]{0,48}[a-z0-9]$, and
// validRepositoryName its ^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$, written out
// byte by byte: every authorized API call checks both, and the regexps cost
// more than the rest of the call's validation (TestNameRulesAreTheModels
// holds them to the patterns).
func validDomainName(name string) error {
	if !isDomainName(name) {
		return apperr.Validationf("domain name %q is invalid: it must be 2-50 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen", name)
	}
	return nil
}

func isDomainName(s string) bool {
	if len(s) < 2 || len(s) > 50 || !isLower(s[0]) || s[len(s)-1] == '-' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLower(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

func validRepositoryName(name string) error {
	if !isRepositoryName(name) {
		return apperr.Validationf("repository name %q is invalid: it must be 2-100 characters of letters, digits, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}

func isRepositoryName(s string) bool {
	if len(s) < 2 || len(s) > 100 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isLower(c) || isDigit(c) || 'A' <= c && c <= 'Z' }

// hasControl reports whether s holds a Unicode control/format character (\p{C}).
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.C, r) {
			return true
		}
	}
	return false
}

func validDescription(d string) error {
	if utf8.RuneCountInString(d) > 1000 {
		return apperr.Validationf("description must be at most 1000 characters")
	}
	if hasControl(d) {
		return apperr.Validationf("description must not contain control characters")
	}
	return nil
}

func validTags(tags []model.Tag) error {
	if len(tags) > MaxTagsPerResource {
		return apperr.Validationf("at most %d tags are allowed, got %d", MaxTagsPerResource, len(tags))
	}
	seen := map[string]bool{}
	for _, t := range tags {
		n := utf8.RuneCountInString(t.Key)
		if n < 1 || n > 128 || hasControl(t.Key) {
			return apperr.Validationf("tag key %q must be 1-128 characters without control characters", t.Key)
		}
		if utf8.RuneCountInString(t.Value) > 256 || hasControl(t.Value) {
			return apperr.Validationf("tag value for key %q must be at most 256 characters without control characters", t.Key)
		}
		if seen[t.Key] {
			return apperr.Validationf("duplicate tag key %q", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

func validTagKeys(keys []string) error {
	if len(keys) > MaxTagsPerResource {
		return apperr.Validationf("at most %d tag keys are allowed, got %d", MaxTagsPerResource, len(keys))
	}
	for _, k := range keys {
		if n := utf8.RuneCountInString(k); n < 1 || n > 128 || hasControl(k) {
			return apperr.Validationf("tag key %q must be 1-128 characters without control characters", k)
		}
	}
	return nil
}

func validPolicyRevision(rev string) error {
	if rev != "" && !revisionRe.MatchString(rev) {
		return apperr.Validationf("policyRevision must be 1-100 non-whitespace characters")
	}
	return nil
}
