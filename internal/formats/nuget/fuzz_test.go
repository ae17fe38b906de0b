package nuget

import (
	"bytes"
	"strings"
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

// FuzzUpstreamDocuments: the documents read from a public:nuget-org upstream
// (service index, flat container index, registration leaf) never panic the
// parsers, and what they accept is what the proxy relies on: a flat
// container and registrations base ending in "/", versions already
// normalized (normalizing again changes nothing) and without duplicates by
// case, a package hash that is a SHA-512.
func FuzzUpstreamDocuments(f *testing.F) {
	f.Add([]byte(`{"version":"3.0.0","resources":[{"@id":"http://h/flat/","@type":"PackageBaseAddress/3.0.0"},{"@id":"http://h/reg","@type":"RegistrationsBaseUrl/3.6.0"}]}`))
	f.Add([]byte(`{"versions":["1.0.0","1.0.0-Beta","1.0","01.2.3.0"]}`))
	f.Add([]byte(`{"catalogEntry":{"packageHash":"` + strings.Repeat("A", 88) + `","packageHashAlgorithm":"SHA512"}}`))
	f.Add([]byte(`{"packageHash":"!!","packageHashAlgorithm":"sha512","catalogEntry":"x"}`))
	f.Add([]byte(`{"versions":["1.2-` + strings.Repeat("a", 60) + `"]}`)) // normalized past 64 characters
	f.Fuzz(func(t *testing.T, b []byte) {
		if flat, reg, err := ParseServiceIndex(b); err == nil {
			if !strings.HasSuffix(flat, "/") || (reg != "" && !strings.HasSuffix(reg, "/")) {
				t.Fatalf("service index accepted with flat %q, reg %q", flat, reg)
			}
		}
		if vs, err := ParseFlatIndex(b); err == nil {
			seen := map[string]bool{}
			for _, v := range vs {
				if n, ok := NormalizeVersion(v); !ok || n != v {
					t.Fatalf("flat index version %q not normalized (%q, %v)", v, n, ok)
				}
				if seen[strings.ToLower(v)] {
					t.Fatalf("flat index version %q twice", v)
				}
				seen[strings.ToLower(v)] = true
			}
		}
		if sum, err := PackageHash(b); err == nil && sum != nil && len(sum) == 0 {
			t.Fatalf("empty package hash accepted from %q", b)
		}
	})
}

// FuzzNames: a package id and version from a request path or a manifest.
// A normalized version normalizes to itself (it is what is stored and asked
// for), and an accepted id is its own key's id.
func FuzzNames(f *testing.F) {
	f.Add("Newtonsoft.Json", "01.2.3.0-Beta+build")
	f.Add("..", "1.2-"+strings.Repeat("a", 60))
	f.Fuzz(func(t *testing.T, id, version string) {
		if n, ok := NormalizeVersion(version); ok {
			if again, ok := NormalizeVersion(n); !ok || again != n {
				t.Fatalf("NormalizeVersion(%q) = %q, which normalizes to %q %v", version, n, again, ok)
			}
			if strings.ContainsAny(n, "/\\") || n == "." || n == ".." {
				t.Fatalf("NormalizeVersion(%q) = %q, not a path segment", version, n)
			}
		}
		if ValidID(id) && (!ValidID(Key(id)) || strings.ContainsAny(id, "/\\") || id == "." || id == "..") {
			t.Fatalf("id %q accepted", id)
		}
	})
}
