package model

import (
	"strings"
	"testing"
)

// ParseARN cuts by hand; it must agree with splitting on the first five colons.
func TestParseARN(t *testing.T) {
	reference := func(s string) (ARN, bool) {
		parts := strings.SplitN(s, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
			return ARN{}, false
		}
		return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
	}
	for _, s := range []string{
		"arn:aws:codeartifact:us-east-1:111122223333:domain/d",
		"arn:aws:iam::111122223333:user/alice",
		"arn:aws:iam::111122223333:root",
		"arn:aws:sts::111122223333:assumed-role/r/session",
		"arn:aws:kms:us-east-1:111122223333:key/1234",
		"arn:aws:s3:::bucket/key:with:colons",
		"arn:aws:iam::111122223333:",
		"arn:aws:iam::111122223333",
		"arn::iam::111122223333:root",
		"arn:aws:::111122223333:root",
		"arn:aws",
		"arn:",
		"arn",
		"",
		"ARN:aws:iam::111122223333:root",
		"xarn:aws:iam::111122223333:root",
		"*",
	} {
		got, err := ParseARN(s)
		want, ok := reference(s)
		if (err == nil) != ok || got != want {
			t.Errorf("ParseARN(%q) = %+v, %v; want %+v, ok %v", s, got, err, want, ok)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseARN("arn:aws:codeartifact:us-east-1:111122223333:repository/d/r") }); n != 0 {
		t.Errorf("ParseARN allocates %v times", n)
	}
	if got, want := DomainARN("us-east-1", "111122223333", "d"), "arn:aws:codeartifact:us-east-1:111122223333:domain/d"; got != want {
		t.Errorf("DomainARN = %q", got)
	}
	if got, want := RepositoryARN("us-east-1", "111122223333", "d", "r"), "arn:aws:codeartifact:us-east-1:111122223333:repository/d/r"; got != want {
		t.Errorf("RepositoryARN = %q", got)
	}
	if got, want := PackageARN("us-east-1", "111122223333", "d", "r", "npm", "", "left-pad"), "arn:aws:codeartifact:us-east-1:111122223333:package/d/r/npm//left-pad"; got != want {
		t.Errorf("PackageARN = %q", got)
	}
}
