package policy

import (
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// tfOrgRead is what Terraform's aws_iam_policy_document renders for the
// Terraform module's complete example (keys sorted, single values as strings).
const tfOrgRead = `{"Version":"2012-10-17","Statement":[{"Sid":"ReadForOrg","Effect":"Allow","Action":["codeartifact:ReadFromRepository","codeartifact:GetPackageVersionAsset"],"Resource":"*","Principal":{"AWS":"arn:aws:iam::000000000000:root"}}]}`

func TestParseValid(t *testing.T) {
	cases := []struct {
		name  string
		doc   string
		check func(t *testing.T, p *Policy)
	}{
		{"terraform root arn", tfOrgRead, func(t *testing.T, p *Policy) {
			s := p.Statements[0]
			if p.Version != Version2012 || s.Sid != "ReadForOrg" || s.Effect != EffectAllow || len(s.Actions) != 2 ||
				s.Principals.AWS[0] != "arn:aws:iam::000000000000:root" || s.Resources[0] != "*" {
				t.Errorf("unexpected parse: %+v", p)
			}
		}},
		{"terraform account id", strings.Replace(tfOrgRead, `"arn:aws:iam::000000000000:root"`, `"000000000000"`, 1), func(t *testing.T, p *Policy) {
			if got := p.Statements[0].Principals.AWS; len(got) != 1 || got[0] != "000000000000" {
				t.Errorf("AWS principals = %v", got)
			}
		}},
		{"terraform multi-line pretty two statements", `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PublishFromCI",
      "Effect": "Allow",
      "Action": [
        "codeartifact:PutPackageMetadata",
        "codeartifact:PublishPackageVersion"
      ],
      "Resource": "*",
      "Principal": {
        "AWS": "arn:aws:iam::000000000000:role/ci-publish"
      }
    },
    {
      "Sid": "ReadForOrg",
      "Effect": "Allow",
      "Action": "codeartifact:ReadFromRepository",
      "Resource": "*",
      "Principal": {
        "AWS": "000000000000"
      }
    }
  ]
}`, func(t *testing.T, p *Policy) {
			if len(p.Statements) != 2 || p.Statements[1].Actions[0] != "codeartifact:ReadFromRepository" {
				t.Errorf("unexpected parse: %+v", p)
			}
		}},
		{"statement as single object, no Version", `{"Statement":{"Effect":"Deny","Action":"*","Principal":"*"}}`, func(t *testing.T, p *Policy) {
			if p.Version != "" || len(p.Statements) != 1 || !p.Statements[0].Principals.Any || p.Statements[0].Resources != nil {
				t.Errorf("unexpected parse: %+v", p)
			}
		}},
		{"old version and Id", `{"Version":"2008-10-17","Id":"x-1","Statement":[{"Effect":"Allow","Action":"codeartifact:*","Principal":{"AWS":"*"}}]}`, func(t *testing.T, p *Policy) {
			if p.Version != Version2008 || p.ID != "x-1" {
				t.Errorf("unexpected parse: %+v", p)
			}
		}},
		{"empty Sid from old terraform, twice", `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"codeartifact:Describe*","Principal":"*"},{"Sid":"","Effect":"Allow","Action":"codeartifact:List*","Principal":"*"}]}`, nil},
		{"NotAction NotPrincipal NotResource", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["codeartifact:Get*","codeartifact:Read?romRepository"],"NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"NotResource":"arn:aws:codeartifact:*:111122223333:repository/d/*"}]}`, func(t *testing.T, p *Policy) {
			s := p.Statements[0]
			if !s.NotAction || !s.NotPrincipal || !s.NotResource || len(s.Principals.AWS) != 2 {
				t.Errorf("unexpected parse: %+v", s)
			}
		}},
		{"all principal kinds", `{"Statement":[{"Effect":"Allow","Action":"codeartifact:ReadFromRepository","Principal":{"AWS":["arn:aws:sts::111122223333:assumed-role/r/s","arn:aws-us-gov:iam::111122223333:role/path/to/r","arn:aws:iam::111122223333:federated-user/bob"],"Service":"codebuild.amazonaws.com","Federated":["cognito-identity.amazonaws.com"],"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}}]}`, func(t *testing.T, p *Policy) {
			ps := p.Statements[0].Principals
			if len(ps.AWS) != 3 || len(ps.Service) != 1 || len(ps.Federated) != 1 || len(ps.CanonicalUser) != 1 {
				t.Errorf("unexpected principals: %+v", ps)
			}
		}},
		{"conditions of every shape", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Principal":"*","Condition":{
			"StringEquals":{"aws:PrincipalOrgID":"o-abc","codeartifact:Foo":["a","b"]},
			"Bool":{"aws:SecureTransport":true},
			"NumericLessThan":{"s3:max-keys":10},
			"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":"team-*"},
			"Null":{"aws:MultiFactorAuthAge":"true"}}}]}`, func(t *testing.T, p *Policy) {
			want := []Condition{
				{"StringEquals", "aws:PrincipalOrgID", []string{"o-abc"}},
				{"StringEquals", "codeartifact:Foo", []string{"a", "b"}},
				{"Bool", "aws:SecureTransport", []string{"true"}},
				{"NumericLessThan", "s3:max-keys", []string{"10"}},
				{"ForAnyValue:StringLikeIfExists", "aws:TagKeys", []string{"team-*"}},
				{"Null", "aws:MultiFactorAuthAge", []string{"true"}},
			}
			cs := p.Statements[0].Conditions
			if len(cs) != len(want) {
				t.Fatalf("conditions = %+v", cs)
			}
			for i := range want {
				if cs[i].Operator != want[i].Operator || cs[i].Key != want[i].Key || strings.Join(cs[i].Values, ",") != strings.Join(want[i].Values, ",") {
					t.Errorf("condition %d = %+v, want %+v", i, cs[i], want[i])
				}
			}
		}},
		{"operator names are case-insensitive", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","Condition":{"stringequalsignorecase":{"aws:x":"A"},"forallvalues:ArnLikeIfExists":{"aws:y":"arn:*:*:*:*:*"}}}}`, nil},
		{"empty condition block", `{"Statement":{"Effect":"Allow","Action":"*","Principal":"*","Condition":{}}}`, nil},
		{"exactly at the size limit", padTo(tfOrgRead, MaxDocumentLength), nil},
		{"multi-byte characters count once", padToRune(`{"Statement":{"Sid":"","Effect":"Allow","Action":"*","Principal":"*","Condition":{"StringEquals":{"k:x":"é"}}}}`, MaxDocumentLength), func(t *testing.T, p *Policy) {
			if v := p.Statements[0].Conditions[0].Values[0]; len(v) <= MaxDocumentLength {
				t.Errorf("want a value over %d bytes to prove characters are counted, got %d", MaxDocumentLength, len(v))
			}
		}},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tc.check != nil {
				tc.check(t, p)
			}
		})
	}
}

// padTo appends whitespace (insignificant JSON) until doc is n bytes long.
func padTo(doc string, n int) string { return doc + strings.Repeat(" ", n-len(doc)) }

// padToRune makes doc exactly n characters by repeating its one non-ASCII
// character inside the condition value, so bytes exceed n but characters do not.
func padToRune(doc string, n int) string {
	count := len([]rune(doc))
	return strings.Replace(doc, "é", strings.Repeat("é", n-count+1), 1)
}

// Check refuses, at put time, condition values their operator cannot compare;
// Parse keeps reading them (stored by an earlier wharf, they fail closed).
func TestCheckConditionOperands(t *testing.T) {
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[` + body + `]}`
	}
	ok := `"Effect":"Allow","Action":"codeartifact:ReadFromRepository","Principal":{"AWS":"111122223333"}`
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"invalid cidr", stmt(`{` + ok + `,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","10.0.0.0/33"]}}}`), []string{"Statement[0].Condition.IpAddress.aws:SourceIp", "10.0.0.0/33", "IpAddress"}},
		{"invalid ip", stmt(`{` + ok + `,"Condition":{"NotIpAddressIfExists":{"aws:SourceIp":"300.1.2.3"}}}`), []string{"300.1.2.3", "NotIpAddress"}},
		{"invalid date", stmt(`{` + ok + `,"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-13-45"}}}`), []string{"aws:CurrentTime", "2024-13-45", "DateGreaterThan"}},
		{"invalid date in set operator", stmt(`{` + ok + `,"Condition":{"ForAnyValue:DateLessThan":{"aws:CurrentTime":["2024-01-01","yesterday"]}}}`), []string{"yesterday"}},
		{"invalid number", stmt(`{` + ok + `,"Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"ten"}}}`), []string{"ten", "NumericLessThan"}},
		{"invalid null operand", stmt(`{` + ok + `,"Condition":{"Null":{"aws:x":"maybe"}}}`), []string{"maybe", "Null"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse(tc.doc); err != nil {
				t.Fatalf("Parse refused a document it must keep reading: %v", err)
			}
			_, err := Check(tc.doc)
			if !apperr.Is(err, apperr.Validation) || apperr.As(err).Reason != "FIELD_VALIDATION_FAILED" {
				t.Fatalf("Check: %v; want a validation error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not mention %q", err.Error(), w)
				}
			}
		})
	}
	valid := stmt(`{` + ok + `,"Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32","192.0.2.7"]},` +
		`"DateLessThan":{"aws:CurrentTime":["2030-01-01T00:00:00Z","2030-01-01",1893456000]},"NumericLessThan":{"a:n":3600},"Null":{"a:x":"true"}}}`)
	if _, err := Check(valid); err != nil {
		t.Fatalf("Check refused valid operands: %v", err)
	}
}

func TestParseInvalid(t *testing.T) {
	stmt := func(body string) string {
		return `{"Version":"2012-10-17","Statement":[` + body + `]}`
	}
	ok := `"Effect":"Allow","Action":"codeartifact:ReadFromRepository","Principal":{"AWS":"111122223333"}`
	cases := []struct {
		name, doc string
		want      []string // substrings the message must contain
	}{
		{"empty", "", []string{"empty"}},
		{"too long", padTo(tfOrgRead, MaxDocumentLength+1), []string{"7169", "7168"}},
		{"control char", "{\"Statement\":\x01[]}", []string{"control character"}},
		{"not json", `{"Version":`, []string{"not valid JSON"}},
		{"trailing data", tfOrgRead + `{}`, []string{"after the top-level value"}},
		{"array top level", `[` + tfOrgRead + `]`, []string{"JSON object", "an array"}},
		{"duplicate key", `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{` + ok + `}}`, []string{"duplicate key", "Version"}},
		{"duplicate statement key", stmt(`{` + ok + `,"Effect":"Deny"}`), []string{"duplicate key", "Effect"}},
		{"unknown top-level", `{"Version":"2012-10-17","Statements":[]}`, []string{`"Statements"`}},
		{"lower-case element", `{"version":"2012-10-17","Statement":{` + ok + `}}`, []string{`"version"`}},
		{"bad version", `{"Version":"2012-10-18","Statement":{` + ok + `}}`, []string{"Version", "2012-10-18"}},
		{"numeric version", `{"Version":2012,"Statement":{` + ok + `}}`, []string{"Version", "2012"}},
		{"Id not string", `{"Id":1,"Statement":{` + ok + `}}`, []string{"Id"}},
		{"no statement", `{"Version":"2012-10-17"}`, []string{"Statement", "required"}},
		{"empty statement array", `{"Version":"2012-10-17","Statement":[]}`, []string{"Statement", "empty"}},
		{"statement string", `{"Statement":"x"}`, []string{"Statement", "a string"}},
		{"statement element not object", stmt(`1`), []string{"Statement[0]", "a number"}},
		{"unknown statement key", stmt(`{` + ok + `,"Resources":"*"}`), []string{`"Resources"`, "Statement[0]"}},
		{"bad sid", stmt(`{"Sid":"read-all",` + ok + `}`), []string{"Statement[0].Sid", "read-all"}},
		{"sid not string", stmt(`{"Sid":7,` + ok + `}`), []string{"Statement[0].Sid"}},
		{"duplicate sid", stmt(`{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}`), []string{"Statement[1].Sid", `"A"`, "Statement[0]"}},
		{"missing effect", stmt(`{"Action":"*","Principal":"*"}`), []string{"Statement[0].Effect", "required"}},
		{"lower-case effect", stmt(`{"Effect":"allow","Action":"*","Principal":"*"}`), []string{"Statement[0].Effect", `"allow"`}},
		{"missing action", stmt(`{"Effect":"Allow","Principal":"*"}`), []string{"Statement[0].Action", "required"}},
		{"action and notaction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"*","Principal":"*"}`), []string{"Statement[0].Action", "NotAction"}},
		{"empty action array", stmt(`{"Effect":"Allow","Action":[],"Principal":"*"}`), []string{"Statement[0].Action", "empty"}},
		{"action not string", stmt(`{"Effect":"Allow","Action":["codeartifact:List*",3],"Principal":"*"}`), []string{"Statement[0].Action[1]"}},
		{"action object", stmt(`{"Effect":"Allow","Action":{},"Principal":"*"}`), []string{"Statement[0].Action", "an object"}},
		{"action without service", stmt(`{"Effect":"Allow","Action":"ReadFromRepository","Principal":"*"}`), []string{"Statement[0].Action[0]", "ReadFromRepository"}},
		{"action with space", stmt(`{"Effect":"Allow","NotAction":["codeartifact:*","codeartifact:Read From"],"Principal":"*"}`), []string{"Statement[0].NotAction[1]"}},
		{"missing principal", stmt(`{"Effect":"Allow","Action":"*"}`), []string{"Statement[0].Principal", "required"}},
		{"principal and notprincipal", stmt(`{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":"*"}`), []string{"Statement[0].Principal", "NotPrincipal"}},
		{"principal plain account string", stmt(`{"Effect":"Allow","Action":"*","Principal":"111122223333"}`), []string{"Statement[0].Principal", "111122223333"}},
		{"principal empty object", stmt(`{"Effect":"Allow","Action":"*","Principal":{}}`), []string{"Statement[0].Principal", "at least one"}},
		{"principal unknown type", stmt(`{"Effect":"Allow","Action":"*","Principal":{"Aws":"*"}}`), []string{`"Aws"`, "Statement[0].Principal"}},
		{"principal short account", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":"12345"}}`), []string{"Statement[0].Principal.AWS[0]", "12345"}},
		{"principal wildcard arn", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":["111122223333","arn:aws:iam::111122223333:user/*"]}}`), []string{"Statement[0].Principal.AWS[1]"}},
		{"principal non-iam arn", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":"arn:aws:s3:::bucket"}}`), []string{"Statement[0].Principal.AWS[0]"}},
		{"principal empty list", stmt(`{"Effect":"Allow","Action":"*","Principal":{"AWS":[]}}`), []string{"Statement[0].Principal.AWS", "empty"}},
		{"service principal blank", stmt(`{"Effect":"Allow","Action":"*","Principal":{"Service":""}}`), []string{"Statement[0].Principal.Service[0]"}},
		{"resource and notresource", stmt(`{` + ok + `,"Resource":"*","NotResource":"*"}`), []string{"Statement[0].Resource", "NotResource"}},
		{"resource not arn", stmt(`{` + ok + `,"Resource":"my-repo"}`), []string{"Statement[0].Resource[0]", "my-repo"}},
		{"resource short arn", stmt(`{` + ok + `,"NotResource":["*","arn:aws:codeartifact:us-east-1"]}`), []string{"Statement[0].NotResource[1]"}},
		{"resource number", stmt(`{` + ok + `,"Resource":5}`), []string{"Statement[0].Resource", "a number"}},
		{"condition array", stmt(`{` + ok + `,"Condition":[]}`), []string{"Statement[0].Condition", "an array"}},
		{"unknown operator", stmt(`{` + ok + `,"Condition":{"StringEqual":{"aws:x":"y"}}}`), []string{"Statement[0].Condition.StringEqual", "operator"}},
		{"null ifexists", stmt(`{` + ok + `,"Condition":{"NullIfExists":{"aws:x":"true"}}}`), []string{"Statement[0].Condition.NullIfExists"}},
		{"operator value string", stmt(`{` + ok + `,"Condition":{"StringEquals":"x"}}`), []string{"Statement[0].Condition.StringEquals", "a string"}},
		{"condition value object", stmt(`{` + ok + `,"Condition":{"StringEquals":{"aws:x":{"a":1}}}}`), []string{"Statement[0].Condition.StringEquals.aws:x", "an object"}},
		{"condition value null in array", stmt(`{` + ok + `,"Condition":{"StringEquals":{"aws:x":["a",null]}}}`), []string{"Statement[0].Condition.StringEquals.aws:x[1]", "null"}},
		{"condition empty values", stmt(`{` + ok + `,"Condition":{"StringEquals":{"aws:x":[]}}}`), []string{"Statement[0].Condition.StringEquals.aws:x", "empty"}},
		{"condition blank key", stmt(`{` + ok + `,"Condition":{"StringEquals":{"":"a"}}}`), []string{"Statement[0].Condition.StringEquals", "condition key"}},
		{"error in single statement object", `{"Statement":{"Effect":"Permit","Action":"*","Principal":"*"}}`, []string{"Statement.Effect", "Permit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.doc)
			if err == nil {
				t.Fatalf("Parse accepted %q: %+v", tc.doc, p)
			}
			if !apperr.Is(err, apperr.Validation) {
				t.Fatalf("error kind = %v, want Validation: %v", apperr.KindOf(err), err)
			}
			if r := apperr.As(err).Reason; r != "FIELD_VALIDATION_FAILED" {
				t.Errorf("reason = %q", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not mention %q", err.Error(), w)
				}
			}
		})
	}
}
