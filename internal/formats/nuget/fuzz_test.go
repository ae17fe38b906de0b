package nuget

import (
	"bytes"
	"testing"
)

// FuzzInspectNupkg: whatever the bytes, the reader returns (no panic, no
// unbounded work) and what it accepts has a valid id and a normalized
// version.
func FuzzInspectNupkg(f *testing.F) {
	f.Add(buildZip(f, "a.nuspec", nuspecXML("a", "1.0")))
	f.Add(buildZip(f, "a.nuspec", nuspecXML("a", "1.0"), "../x", "y"))
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := InspectNupkg(bytes.NewReader(b), Limits{MaxEntries: 100, MaxUncompressed: 1 << 20})
		if err != nil {
			return
		}
		if !ValidID(n.ID) {
			t.Fatalf("accepted id %q", n.ID)
		}
		if v, ok := NormalizeVersion(n.Version); !ok || v != n.Version {
			t.Fatalf("accepted version %q not normalized", n.Version)
		}
	})
}

// FuzzParseNuspec: the manifest parser never panics on any input.
func FuzzParseNuspec(f *testing.F) {
	f.Add([]byte(nuspecXML("a", "1.0")))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = ParseNuspec(b) })
}
