package npm

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// FuzzParsePublish: any body a client can PUT is parsed or refused with an
// apperr error — no panic, no hang — and what is accepted respects the limits.
func FuzzParsePublish(f *testing.F) {
	f.Add(`{"name":"p","versions":{"1.0.0":{"name":"p","version":"1.0.0","dist":{"integrity":"sha512-AAAA"}}},"readme":"r","_attachments":{"p-1.0.0.tgz":{"content_type":"application/octet-stream","data":"aGVsbG8=","length":5}}}`)
	f.Add(`{"_attachments":{"a":{"data":"a\/b\nc=="}}}`)
	f.Add(`{"name":"p","dist-tags":{"latest":"1.0.0"},"x":[1,{"y":"\""}],"n":-1.5e3,"t":true}`)
	f.Add(`{"readme":"` + strings.Repeat("a", 300) + `"}`)
	f.Add(`{"a":`)
	f.Fuzz(func(t *testing.T, body string) {
		lim := Limits{MaxMetadataBytes: 4 << 10, MaxReadmeBytes: 100}
		doc, err := ParsePublishLimited(strings.NewReader(body), lim, func(_ string, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil {
			return
		}
		if len(doc.Versions) > 1 || len(doc.Attachments) > 1 || len(doc.Readme) > 100 {
			t.Fatalf("limits not applied: %d versions, %d attachments, readme %d", len(doc.Versions), len(doc.Attachments), len(doc.Readme))
		}
		for v, raw := range doc.Versions {
			if !json.Valid(raw) {
				t.Fatalf("version %q kept as invalid JSON", v)
			}
		}
	})
}

// FuzzParseUpstream: any packument an upstream sends is parsed or refused, and
// the packuments built from what is accepted are valid JSON.
func FuzzParseUpstream(f *testing.F) {
	f.Add(`{"name":"p","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"p","version":"1.0.0","description":"d","license":{"type":"MIT"},"repository":{"url":"u"},"dependencies":{"@s/q":"^1"},"dist":{"tarball":"http://x/p.tgz","shasum":"0000000000000000000000000000000000000000"}}},"time":{"1.0.0":"2020-01-01T00:00:00Z"},"readme":"r"}`)
	f.Add(`{"name":"p","versions":{"2.0.0-beta.1":{"version":"2.0.0-beta.1","licenses":[{"type":"X"},"Y"]}}}`)
	f.Add(`{"versions":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		n := Name{Pkg: "p"}
		up, err := ParseUpstream(n, []byte(body))
		if err != nil {
			return
		}
		var entries []Entry
		for v, raw := range up.Versions {
			info, err := ParseVersion(n, v, raw)
			if err != nil || CheckVersion(v) != nil {
				continue
			}
			_, _ = ExpectedDigest(info.Dist)
			_ = CheckDist(info.Dist)
			entries = append(entries, Entry{Version: v, Doc: info.Fields.Metadata, Published: up.Published(v)})
		}
		for _, abbreviated := range []bool{false, true} {
			doc, err := Packument(n, entries, up.DistTags, "http://wharf/p/-/", abbreviated)
			if err != nil {
				continue
			}
			if !json.Valid(doc) {
				t.Fatalf("packument is not JSON: %.200s", doc)
			}
		}
	})
}

// FuzzNames: the request path after an npm endpoint splits into segments that
// are never "." or "..", and a name that parses prints back to itself.
func FuzzNames(f *testing.F) {
	for _, s := range []string{"lodash", "@types%2fnode", "@types/node/-/node-1.0.0.tgz", "-/package/@s%2fp/dist-tags/beta", "a/%2e%2e/b", "%zz", "p/1.0.0", "@/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		segs, err := splitPath(path)
		if err != nil {
			return
		}
		for _, s := range segs {
			if s == "." || s == ".." || strings.Contains(s, "..") {
				t.Fatalf("segment %q from %q", s, path)
			}
		}
		if len(segs) == 0 {
			return
		}
		n, _, err := takeName(segs)
		if err != nil {
			return
		}
		again, err := ParseName(n.String())
		if err != nil || again != n {
			t.Fatalf("%+v prints as %q, which parses as %+v, %v", n, n.String(), again, err)
		}
		if strings.ContainsAny(n.Escaped(), "/?#\\") {
			t.Fatalf("escaped name %q has URL path characters", n.Escaped())
		}
	})
}
