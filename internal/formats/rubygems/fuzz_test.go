package rubygems

import (
	"strings"
	"testing"
	"time"
)

// FuzzReadGem: any .gem is read or refused without panicking, within its
// limits; what is accepted has a usable name, version and platform.
func FuzzReadGem(f *testing.F) {
	f.Add(realGem(f))
	f.Add([]byte("metadata.gz\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ReadGemBytes(b, Limits{MaxMetadata: 1 << 16, MaxUnpacked: 1 << 20, MaxEntries: 100})
		if err != nil {
			return
		}
		if !ValidName(s.Name) || !ValidVersion(s.Version) || !ValidPlatform(s.Platform) {
			t.Fatalf("accepted %+v", s)
		}
		_ = GemspecRZ(s)
		_ = DependencyAPI([]Spec{s})
	})
}

// FuzzParseSpec: any gemspec YAML is parsed or refused; YAML alias bombs
// are refused by the YAML reader, not expanded.
func FuzzParseSpec(f *testing.F) {
	f.Add([]byte("--- !ruby/object:Gem::Specification\nname: a\nversion: !ruby/object:Gem::Version\n  version: 1.0\n"))
	f.Add([]byte("a: &a [x,x,x,x]\nb: &b [*a,*a,*a,*a]\nname: *b\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSpec(b)
		if err == nil && (!ValidName(s.Name) || !ValidVersion(s.Version)) {
			t.Fatalf("accepted %+v", s)
		}
	})
}

// FuzzParseInfo: any upstream info file is parsed or refused; what is
// accepted has safe versions and sha256 checksums and renders back to a file
// that parses to the same versions.
func FuzzParseInfo(f *testing.F) {
	f.Add([]byte("---\n1.0.0 rake:>= 1.0&< 2|checksum:" + strings.Repeat("a", 64) + ",ruby:>= 2.5\n1.0.0-java |checksum:" + strings.Repeat("b", 64) + "\n"))
	f.Add([]byte("---\n1.0 |\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ParseInfo(b)
		if err != nil {
			return
		}
		for _, e := range es {
			if !ValidFullVersion(e.FullVersion) || !sha256Re.MatchString(e.SHA256) {
				t.Fatalf("accepted %+v", e)
			}
		}
		again, err := ParseInfo(RenderInfo(es))
		if err != nil || len(again) != len(es) {
			t.Fatalf("round trip: %v", err)
		}
		_ = RenderVersions(time.Unix(0, 0), b, []VersionsLine{{Name: "x", Versions: []string{"1"}, InfoMD5: MD5(b)}})
	})
}

// FuzzGemFile: a gems/NAME-VERSION.gem path splits only into a full version
// that names the same file again.
func FuzzGemFile(f *testing.F) {
	f.Add("rake", "rake-13.0.6.gem")
	f.Add("nokogiri", "nokogiri-1.16.0-x86_64-linux.gem")
	f.Add("a-b", "a-b-1.0-a-b.gem")
	f.Fuzz(func(t *testing.T, name, file string) {
		fv, ok := ParseGemFile(name, file)
		if !ok {
			return
		}
		if GemFile(name, fv) != file || !ValidFullVersion(fv) {
			t.Fatalf("ParseGemFile(%q, %q) = %q", name, file, fv)
		}
	})
}
