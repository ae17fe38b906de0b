package cached

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/model"
)

// domainOfARN cuts the ARN by hand; it must agree with model.ParseARN.
func TestDomainOfARN(t *testing.T) {
	reference := func(arn string) (domKey, bool) {
		a, err := model.ParseARN(arn)
		if err != nil || a.Service != "codeartifact" {
			return domKey{}, false
		}
		parts := strings.SplitN(a.Resource, "/", 3)
		if len(parts) < 2 || parts[1] == "" {
			return domKey{}, false
		}
		switch parts[0] {
		case "domain", "repository", "package", "package-group":
			return domKey{a.Account, parts[1]}, true
		}
		return domKey{}, false
	}
	for _, arn := range []string{
		"arn:aws:codeartifact:us-east-1:111122223333:domain/d",
		"arn:aws:codeartifact:us-east-1:111122223333:repository/d/r",
		"arn:aws:codeartifact:us-east-1:111122223333:package/d/r/npm/scope/name",
		"arn:aws:codeartifact:us-east-1:111122223333:package/d/r/npm//name",
		"arn:aws:codeartifact:us-east-1:111122223333:package-group/d/p%2Fx",
		"arn:aws:codeartifact:us-east-1:111122223333:package-group/d",
		"arn:aws:codeartifact:us-east-1:111122223333:domain/",
		"arn:aws:codeartifact:us-east-1:111122223333:domain",
		"arn:aws:codeartifact:us-east-1:111122223333:other/d",
		"arn:aws:codeartifact:us-east-1:111122223333:repository/d:x/r",
		"arn:aws:codeartifact::111122223333:domain/d",
		"arn:aws:codeartifact:us-east-1::domain/d",
		"arn:aws:kms:us-east-1:111122223333:key/d",
		"arn::codeartifact:us-east-1:111122223333:domain/d",
		"arn:aws::us-east-1:111122223333:domain/d",
		"arn:aws:codeartifact:us-east-1:111122223333",
		"arn:aws:codeartifact",
		"arn:",
		"",
		"ARN:aws:codeartifact:us-east-1:111122223333:domain/d",
		"#kms-keys",
	} {
		got, gotOK := domainOfARN(arn)
		want, wantOK := reference(arn)
		if got != want || gotOK != wantOK {
			t.Errorf("domainOfARN(%q) = %v, %v; ParseARN says %v, %v", arn, got, gotOK, want, wantOK)
		}
	}
}
