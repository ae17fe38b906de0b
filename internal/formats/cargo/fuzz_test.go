package cargo

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzParseIndex: any index file an upstream sends is parsed or refused; what
// is accepted is usable (valid name, version, cksum) and renders back to an
// index that parses to the same versions.
func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"name":"demo","vers":"1.0.0","deps":[{"name":"a","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}],"cksum":"` + strings.Repeat("a", 64) + `","features":{},"yanked":false}` + "\n"))
	f.Add([]byte("{}\n\n{\"name\":1}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		es, err := ParseIndex("demo", body)
		if err != nil {
			return
		}
		for _, e := range es {
			if e.Validate() != nil || Key(e.Name) != "demo" {
				t.Fatalf("accepted %+v", e)
			}
		}
		again, err := ParseIndex("demo", RenderIndex(es))
		if err != nil || len(again) != len(es) {
			t.Fatalf("round trip: %v (%d vs %d)", err, len(again), len(es))
		}
	})
}

// FuzzReadPublish: any publish body is refused or yields valid metadata and
// a crate reader that never reads past the declared length.
func FuzzReadPublish(f *testing.F) {
	f.Add(EncodePublish([]byte(`{"name":"demo","vers":"1.0.0","deps":[],"features":{}}`), []byte("crate")))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		m, cr, n, err := ReadPublish(bytes.NewReader(body), 1<<16, 1<<16)
		if err != nil {
			return
		}
		if m.Validate() != nil {
			t.Fatal("invalid metadata accepted")
		}
		got, _ := io.Copy(io.Discard, cr)
		if got > n {
			t.Fatalf("read %d > declared %d", got, n)
		}
		_ = m.Entry(strings.Repeat("0", 64))
	})
}

// FuzzCheckCrate: any .crate is checked without panicking, within its limits.
func FuzzCheckCrate(f *testing.F) {
	f.Add(crateFile(f, [2]string{"demo-1.0.0/Cargo.toml", "[package]"}))
	f.Add([]byte("\x1f\x8b\x08\x00garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = CheckCrate(bytes.NewReader(body), "demo", "1.0.0", CrateLimits{MaxUnpacked: 1 << 20, MaxEntries: 100})
	})
}

// FuzzUpstreamConfig: an upstream index's config.json and the index paths
// cargo asks for never panic their parsers; an accepted dl expands to a URL
// without panicking, and an accepted index path is the one IndexPath gives
// for its (valid) crate name.
func FuzzUpstreamConfig(f *testing.F) {
	f.Add([]byte(`{"dl":"http://h/files/{crate}/{version}/{prefix}/{lowerprefix}/{sha256-checksum}","api":"http://h"}`), "de/mo/demo")
	f.Add([]byte(`{"dl":"http://h/api/v1/crates"}`), "3/a/abc")
	f.Add([]byte(`{"dl":""}`), "1/a")
	f.Fuzz(func(t *testing.T, config []byte, indexPath string) {
		if c, err := ParseConfig(config); err == nil {
			if c.DL == "" {
				t.Fatal("config.json without dl accepted")
			}
			_ = DownloadURL(c.DL, "Demo-Crate", "1.0.0", strings.Repeat("0", 64))
		}
		if name, ok := ParseIndexPath(indexPath); ok && (!ValidName(name) || IndexPath(name) != indexPath) {
			t.Fatalf("index path %q accepted as %q", indexPath, name)
		}
	})
}
