package cargo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
)

func publishRaw(t *testing.T, ep, tok string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, ep+"api/v1/crates/new", bytes.NewReader(body))
	req.Header.Set("Authorization", tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func metaJSON(name, version string) []byte {
	b, _ := json.Marshal(map[string]any{"name": name, "vers": version, "deps": []any{}, "features": map[string]any{}})
	return b
}

// TestCargoBadInput: what a client or an attacker can send to the publish API
// and the index is refused with cargo's error shape and leaves nothing behind.
func TestCargoBadInput(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "cargobad"
	ca := setup(t, srv, dom, []string{"repo"}, nil, nil)
	tok := "Bearer " + token(t, ca, dom)
	ep := endpoint(t, ca, dom, "repo")

	bomb := func() []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // fast to make; still about 1 MiB
		tw := tar.NewWriter(zw)
		_ = tw.WriteHeader(&tar.Header{Name: "bomb-1.0.0/Cargo.toml", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("x"))
		_ = tw.WriteHeader(&tar.Header{Name: "bomb-1.0.0/zeros", Mode: 0o644, Size: 600 << 20, Typeflag: tar.TypeReg})
		zero := make([]byte, 1<<20)
		for i := 0; i < 600; i++ {
			_, _ = tw.Write(zero)
		}
		_ = tw.Close()
		_ = zw.Close()
		return buf.Bytes()
	}()
	evil := func(entry string) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		for _, n := range []string{"evil-1.0.0/Cargo.toml", entry} {
			_ = tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
			_, _ = tw.Write([]byte("x"))
		}
		_ = tw.Close()
		_ = zw.Close()
		return buf.Bytes()
	}
	notCrate := []byte("PK\x03\x04 this is a zip file claiming to be a crate")
	cases := []struct {
		name  string
		body  []byte
		want  int
		bytes []byte // must not be kept
	}{
		{"traversal in name", cargofmt.EncodePublish(metaJSON("../../etc", "1.0.0"), []byte("x")), 400, nil},
		{"traversal in version", cargofmt.EncodePublish(metaJSON("evil", "1.0.0/../../x"), []byte("x")), 400, nil},
		{"traversal in crate", cargofmt.EncodePublish(metaJSON("evil", "1.0.0"), evil("evil-1.0.0/../../../etc/cron.d/x")), 400, evil("evil-1.0.0/../../../etc/cron.d/x")},
		{"not a crate", cargofmt.EncodePublish(metaJSON("evil", "1.0.0"), notCrate), 400, notCrate},
		{"crate of another name", cargofmt.EncodePublish(metaJSON("evil", "1.0.0"), crateBytes(t, "other", "1.0.0", "")), 400, crateBytes(t, "other", "1.0.0", "")},
		{"tar bomb", cargofmt.EncodePublish(metaJSON("bomb", "1.0.0"), bomb), 400, bomb},
		{"truncated body", cargofmt.EncodePublish(metaJSON("evil", "1.0.0"), crateBytes(t, "evil", "1.0.0", ""))[:60], 400, nil},
		{"oversized metadata", append([]byte{0xff, 0xff, 0xff, 0x7f}, make([]byte, 16)...), 413, nil},
		{"oversized crate", append(append([]byte{2, 0, 0, 0}, "{}"...), 0xff, 0xff, 0xff, 0xff), 400, nil},
		{"trailing data", append(cargofmt.EncodePublish(metaJSON("evil", "1.0.0"), crateBytes(t, "evil", "1.0.0", "//t\n")), "more"...), 400, crateBytes(t, "evil", "1.0.0", "//t\n")},
	}
	for _, c := range cases {
		st, body := publishRaw(t, ep, tok, c.body)
		if st != c.want || !strings.Contains(body, `"errors":[{"detail":`) {
			t.Errorf("%s: %d %s, want %d with cargo's error shape", c.name, st, body, c.want)
		}
		if c.bytes != nil && blobExists(srv.DataDir, c.bytes) {
			t.Errorf("%s: the refused crate's bytes were kept", c.name)
		}
	}
	// The {} metadata of "oversized crate" is invalid before its length is
	// read; a valid one with a 4 GiB crate is refused on the declared length.
	big := append(append(append([]byte{}, byte(len(metaJSON("big", "1.0.0"))), 0, 0, 0), metaJSON("big", "1.0.0")...), 0xff, 0xff, 0xff, 0xff)
	if st, body := publishRaw(t, ep, tok, big); st != http.StatusRequestEntityTooLarge {
		t.Errorf("4 GiB crate: %d %s, want 413", st, body)
	}

	// Names colliding after normalization.
	good := crateBytes(t, "foo-bar", "1.0.0", "")
	if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON("foo-bar", "1.0.0"), good)); st != 200 {
		t.Fatalf("publish foo-bar: %d %s", st, body)
	}
	for _, n := range []string{"foo_bar", "Foo_Bar"} {
		if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON(n, "1.0.1"), crateBytes(t, n, "1.0.1", ""))); st != http.StatusConflict {
			t.Errorf("publish %s after foo-bar: %d %s, want 409", n, st, body)
		}
	}
	// Same name in another case is the same crate, which keeps its first
	// spelling (crates.io: "crate was previously named foo-bar").
	if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON("Foo-Bar", "1.1.0"), crateBytes(t, "Foo-Bar", "1.1.0", ""))); st != http.StatusConflict || !strings.Contains(body, "previously named foo-bar") {
		t.Errorf("publish Foo-Bar 1.1.0 after foo-bar: %d %s, want 409", st, body)
	}
	if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON("foo-bar", "1.1.0"), crateBytes(t, "foo-bar", "1.1.0", ""))); st != 200 {
		t.Errorf("publish foo-bar 1.1.0: %d %s", st, body)
	}
	st, idx := get(t, ep+cargofmt.IndexPath("foo-bar"), tok)
	if st != 200 || strings.Count(idx, "\n") != 2 {
		t.Fatalf("index of foo-bar: %d %q", st, idx)
	}

	// Index and download paths that are not a crate's.
	for _, p := range []string{"fo/ob/..%2f..%2fconfig.json", "3/f/foobar", "fo/ob/foo%2fbar", "api/v1/crates/foo-bar/1.0.0%2f..%2f..%2fx/download", "api/v1/crates/..%2f..%2fx/1.0.0/download"} {
		if st, _ := get(t, ep+p, tok); st != http.StatusNotFound && st != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 or 400", p, st)
		}
	}
	// Publishing needs the token too.
	if st, _ := publishRaw(t, ep, "", cargofmt.EncodePublish(metaJSON("x", "1.0.0"), good)); st != http.StatusUnauthorized {
		t.Errorf("publish without a token: %d", st)
	}
}

// TestCargoStatuses: `cargo yank` makes a version Unlisted (listed as yanked,
// still downloadable for lockfiles); Archived and Disposed versions are
// neither listed nor served.
func TestCargoStatuses(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "cargostat"
	ca := setup(t, srv, dom, []string{"repo"}, nil, nil)
	raw := token(t, ca, dom)
	tok := "Bearer " + raw
	ep := endpoint(t, ca, dom, "repo")
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON("stat", v), crateBytes(t, "stat", v, ""))); st != 200 {
			t.Fatalf("publish %s: %d %s", v, st, body)
		}
	}
	cg := newCargo(t, raw, map[string]string{"wharf": ep})
	cg.must(t.TempDir(), "yank", "--registry", "wharf", "stat@1.0.0")
	ctx := context.Background()
	if _, err := ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(dom), Repository: aws.String("repo"),
		Format: types.PackageFormatCargo, Package: aws.String("stat"), Versions: []string{"1.1.0"}, TargetStatus: types.PackageVersionStatusArchived}); err != nil {
		t.Fatal(err)
	}
	d, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("repo"),
		Format: types.PackageFormatCargo, Package: aws.String("stat"), PackageVersion: aws.String("1.0.0")})
	if err != nil || d.PackageVersion.Status != types.PackageVersionStatusUnlisted {
		t.Fatalf("after cargo yank: %v %+v", err, d)
	}
	_, idx := get(t, ep+cargofmt.IndexPath("stat"), tok)
	es, err := cargofmt.ParseIndex("stat", []byte(idx))
	if err != nil || len(es) != 2 || es[0].Vers != "1.0.0" || !es[0].Yanked || es[1].Vers != "1.2.0" || es[1].Yanked {
		t.Fatalf("index: %v %s", err, idx)
	}
	if st, _ := get(t, ep+"api/v1/crates/stat/1.0.0/download", tok); st != 200 {
		t.Errorf("download of a yanked version: %d, want 200", st)
	}
	if st, _ := get(t, ep+"api/v1/crates/stat/1.1.0/download", tok); st != 404 {
		t.Errorf("download of an archived version: %d, want 404", st)
	}
	cg.must(t.TempDir(), "yank", "--undo", "--registry", "wharf", "stat@1.0.0")
	_, idx = get(t, ep+cargofmt.IndexPath("stat"), tok)
	if strings.Contains(idx, `"yanked":true`) {
		t.Fatalf("after unyank: %s", idx)
	}
}
