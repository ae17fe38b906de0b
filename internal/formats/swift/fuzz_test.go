package swift

import (
	"bytes"
	"testing"
)

// FuzzCheckArchive: whatever the bytes, the check answers (no panic, no
// unbounded work) and what it accepts has Package.swift first.
func FuzzCheckArchive(f *testing.F) {
	f.Add(zipOf(f, "p/Package.swift", "// swift-tools-version:5.7\n", "p/Sources/a.swift", "x"))
	f.Add(zipOf(f, "p/../x", "x"))
	f.Add([]byte("PK\x05\x06"))
	lim := ArchiveLimits{MaxUnpacked: 1 << 20, MaxEntries: 100, MaxManifestSize: 4 << 10, MaxManifests: 4}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := CheckArchive(bytes.NewReader(b), int64(len(b)), lim)
		if err == nil && (len(ms) == 0 || ms[0].SwiftVersion != "") {
			t.Fatalf("accepted without Package.swift: %+v", ms)
		}
	})
}

// FuzzParseMetadata: the metadata parser answers for any input and what it
// accepts re-parses to the same URLs.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"description":"d","repositoryURLs":["https://github.com/mona/LinkedList"]}`))
	f.Add([]byte(`{"repositoryURLs":[1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		raw, urls, err := ParseMetadata(b)
		if err != nil || len(b) == 0 {
			return
		}
		_, urls2, err := ParseMetadata(raw)
		if err != nil || len(urls2) != len(urls) {
			t.Fatalf("re-parse of %s: %v %v", raw, urls2, err)
		}
	})
}

// FuzzManifestFile: an archive entry name is a manifest only when it is the
// file name ManifestFile gives for its swift-version.
func FuzzManifestFile(f *testing.F) {
	f.Add("Package.swift")
	f.Add("Package@swift-5.9.swift")
	f.Add("Package@swift-../x.swift")
	f.Fuzz(func(t *testing.T, file string) {
		v, ok := manifestVersion(file)
		if ok && ManifestFile(v) != file {
			t.Fatalf("manifestVersion(%q) = %q, whose file is %q", file, v, ManifestFile(v))
		}
	})
}
