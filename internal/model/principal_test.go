package model

import "testing"

func TestPrincipalIsRoot(t *testing.T) {
	for _, c := range []struct {
		p    Principal
		want bool
	}{
		{Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:root"}, true},
		{Principal{Account: "111122223333", ARN: "arn:aws:iam::444455556666:root"}, false},
		{Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:user/root"}, false},
		{Principal{Account: "111122223333", ARN: "arn:aws:sts::111122223333:assumed-role/r/s"}, false},
		{Principal{Account: "111122223333", ARN: "arn:aws:iam::111122223333:rootx"}, false},
		{Principal{Account: "", ARN: "arn:aws:iam:::root"}, true},
	} {
		if got := c.p.IsRoot(); got != c.want {
			t.Errorf("%s (account %q): IsRoot %v, want %v", c.p.ARN, c.p.Account, got, c.want)
		}
	}
}
