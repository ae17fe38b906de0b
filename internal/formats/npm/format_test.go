package npm

import (
	"encoding/json"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// TestMerge: the chain's versions win over the registry's (held ones too,
// even when not shown), versions npm could not install are dropped, and the
// chain's dist-tags win.
func TestMerge(t *testing.T) {
	up := &Upstream{
		Versions: map[string]json.RawMessage{"1.0.0": json.RawMessage(`{"v":"up"}`), "2.0.0": json.RawMessage(`{"v":"up"}`), "3.0.0": json.RawMessage(`{}`), "../x": json.RawMessage(`{}`)},
		DistTags: map[string]string{"latest": "2.0.0", "next": "3.0.0"},
	}
	internal := []Entry{{Version: "1.0.0", Doc: json.RawMessage(`{"v":"ours"}`)}}
	held := map[string]bool{"1.0.0": true, "3.0.0": true} // 3.0.0 is held but archived: not shown, not replaced
	got, tags := Merge(internal, held, map[string]string{"latest": "1.0.0"}, up)
	docs := map[string]string{}
	for _, e := range got {
		docs[e.Version] = string(e.Doc)
	}
	if len(docs) != 2 || docs["1.0.0"] != `{"v":"ours"}` || docs["2.0.0"] != `{"v":"up"}` {
		t.Fatalf("merged versions %v", docs)
	}
	if tags["latest"] != "1.0.0" || tags["next"] != "3.0.0" {
		t.Fatalf("merged tags %v", tags)
	}
	if len(internal) != 1 {
		t.Fatal("Merge changed its input")
	}
}

// TestListingLocate: the engine learns a tarball's URL, its integrity and the
// version row to store from the packument; an unlisted version is NotFound,
// one without a checkable integrity a bad gateway.
func TestListingLocate(t *testing.T) {
	doc := `{"name":"x","dist-tags":{"latest":"1.0.0"},"readme":"top readme","versions":{
		"1.0.0":{"name":"x","version":"1.0.0","description":"d","dist":{"tarball":"http://u/x/-/x-1.0.0.tgz","shasum":"a9993e364706816aba3e25717850c26c9cd0d89d"}},
		"2.0.0":{"name":"x","version":"2.0.0","dist":{"tarball":"http://u/x/-/x-2.0.0.tgz"}}}}`
	l, err := Format{}.Parse("", "x", upstream.Doc{Body: []byte(doc)})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := l.Locate("1.0.0", AssetName)
	if err != nil || loc.URL != "http://u/x/-/x-1.0.0.tgz" || loc.Digest.Alg != "sha1" || loc.Version.Readme != "top readme" || loc.Version.Summary != "d" {
		t.Fatalf("Locate 1.0.0: %+v, %v", loc, err)
	}
	if _, err := l.Locate("9.9.9", AssetName); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("unlisted version: %v", err)
	}
	if _, err := l.Locate("2.0.0", AssetName); err == nil || apperr.Is(err, apperr.NotFound) {
		t.Fatalf("no integrity: %v, want a refusal", err)
	}
}
