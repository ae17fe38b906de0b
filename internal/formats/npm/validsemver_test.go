package npm

import "testing"

// validSemver agrees with semverParts on every shape a version string takes.
func TestValidSemverAgreesWithSemverParts(t *testing.T) {
	for _, v := range []string{"1.2.3", "0.0.0", "1.2", "1.2.3.4", "01.2.3", "1.02.3", "1.2.03", "1.2.3-", "1.2.3-a", "1.2.3-a.b-c.1",
		"1.2.3-a..b", "1.2.3-a_b", "1.2.3+build", "1.2.3-rc.1+build.5", "1.2.3+", "", ".", "..", "1..3", "a.b.c", "1.2.x", "+1.2.3",
		"1.2.-3", "18446744073709551615.0.0", "18446744073709551616.0.0", "1.2.3-", "-1.2.3", "1.2.3--", "v1.2.3", "1.2.3 "} {
		_, _, want := semverParts(v)
		if got := validSemver(v); got != want {
			t.Errorf("validSemver(%q) = %v, semverParts says %v", v, got, want)
		}
	}
}
