package policy

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
)

// FuzzParseAndEvaluate feeds arbitrary documents (policy JSON comes from
// Put*PermissionsPolicy callers) and a request built from fuzzed strings to
// Parse, Check and Evaluate. Invariants: no panic; refusals are validation
// errors; Check accepts only what Parse accepts; Evaluate is deterministic and
// a Deny statement that applies is never overridden.
func FuzzParseAndEvaluate(f *testing.F) {
	for _, seed := range []string{
		tfOrgRead,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":"codeartifact:Read*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/a"]},"Action":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"DateLessThan":{"aws:CurrentTime":"2030-01-01"}}}}`,
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b?"]},"Null":{"x":"true"},"NumericLessThanIfExists":{"n":1e3},"Bool":{"aws:SecureTransport":true}}}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"Service":"codeartifact.amazonaws.com","CanonicalUser":"x"},"Action":["a:b"],"NotResource":"arn:aws:codeartifact:*:*:repository/*"}]}`,
		`{"Statement":[]}`, `[]`, `{`, `{"Version":"2012-10-17","Version":"x"}`, "\x00", `{"Statement":{"Sid":"\u00e9"}}`,
	} {
		f.Add(seed, "arn:aws:iam::111122223333:user/alice", "codeartifact:ReadFromRepository", "arn:aws:codeartifact:us-east-1:111122223333:repository/d/r", "aws:SourceIp", "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, doc, principalARN, action, resource, key, value string) {
		p, err := Parse(doc)
		checked, cerr := Check(doc)
		if err != nil {
			if !apperr.Is(err, apperr.Validation) {
				t.Fatalf("Parse refused with %v, want a validation error", err)
			}
			if cerr == nil {
				t.Fatalf("Check accepted what Parse refused")
			}
			return
		}
		if cerr != nil && !apperr.Is(cerr, apperr.Validation) {
			t.Fatalf("Check refused with %v, want a validation error", cerr)
		}
		account := ""
		if a, err := model.ParseARN(principalARN); err == nil {
			account = a.Account
		}
		req := Request{
			Principal: model.Principal{Account: account, ARN: principalARN},
			Action:    action, Resource: resource,
			Context: map[string][]string{key: {value}},
		}
		d1, d2 := p.Evaluate(req), p.Evaluate(req)
		if d1 != d2 {
			t.Fatalf("Evaluate is not deterministic: %v then %v", d1, d2)
		}
		if checked != nil && checked.Evaluate(req) != d1 {
			t.Fatalf("Check and Parse give policies that decide differently")
		}
		// Adding a statement that denies everything to everyone wins, whatever the rest says.
		if len(doc) < 4096 && strings.HasPrefix(strings.TrimSpace(doc), "{") {
			deny := Statement{Effect: EffectDeny, Principals: Principals{Any: true}, Actions: []string{"*"}}
			q := *p
			q.Statements = append(append([]Statement(nil), p.Statements...), deny)
			if got := q.Evaluate(req); got != Deny {
				t.Fatalf("an applying Deny statement lost: %v", got)
			}
		}
	})
}
