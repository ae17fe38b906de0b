package npm

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/blob"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/upstream"
)

func TestParseName(t *testing.T) {
	good := map[string]Name{
		"lodash":         {Pkg: "lodash"},
		"@types/node":    {Scope: "types", Pkg: "node"},
		"JSONStream":     {Pkg: "JSONStream"},
		"a.b-c_d~e":      {Pkg: "a.b-c_d~e"},
		"@babel/core":    {Scope: "babel", Pkg: "core"},
		"@x-y/z.js(1)!*": {Scope: "x-y", Pkg: "z.js(1)!*"},
	}
	for in, want := range good {
		got, err := ParseName(in)
		if err != nil || got != want {
			t.Errorf("ParseName(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, in := range []string{"", "..", "a..b", ".hidden", "_private", "@scope", "@scope/", "@/x", "@scope/..", "a/b", "a b", "a%2fb", "caf\u00e9", strings.Repeat("a", 215)} {
		if n, err := ParseName(in); !apperr.Is(err, apperr.Validation) {
			t.Errorf("ParseName(%q) = %+v, %v; want a validation error", in, n, err)
		}
	}
}

func TestSplitPathAndTakeName(t *testing.T) {
	cases := []struct {
		path string
		name string
		rest []string
	}{
		{"lodash", "lodash", nil},
		{"@types%2fnode", "@types/node", nil},
		{"@types%2Fnode", "@types/node", nil},
		{"@types/node", "@types/node", nil},
		{"%40types%2fnode", "@types/node", nil},
		{"@types/node/-/node-1.0.0.tgz", "@types/node", []string{"-", "node-1.0.0.tgz"}},
		{"@types%2fnode/-/node-1.0.0.tgz", "@types/node", []string{"-", "node-1.0.0.tgz"}},
		{"lodash/4.17.21", "lodash", []string{"4.17.21"}},
	}
	for _, c := range cases {
		segs, err := splitPath(c.path)
		if err != nil {
			t.Fatalf("splitPath(%q): %v", c.path, err)
		}
		n, rest, err := takeName(segs)
		if err != nil || n.String() != c.name || fmt.Sprint(rest) != fmt.Sprint(c.rest) {
			t.Errorf("%q: name %q rest %q err %v; want %q %q", c.path, n, rest, err, c.name, c.rest)
		}
	}
	for _, p := range []string{"..", "%2e%2e", "%2E%2E", "a/%2e%2e/b", "..%2fetc", "@s%2f..", "x/-/..%2fy.tgz", "pkg%2e%2e", ".", "%zz"} {
		if _, err := splitPath(p); !apperr.Is(err, apperr.Validation) {
			t.Errorf("splitPath(%q) = %v, want a validation error", p, err)
		}
	}
}

func TestVersionOfFile(t *testing.T) {
	n := Name{Scope: "s", Pkg: "pkg"}
	if v, err := versionOfFile(n, "pkg-1.2.3-beta.1.tgz"); err != nil || v != "1.2.3-beta.1" {
		t.Errorf("got %q %v", v, err)
	}
	for _, f := range []string{"other-1.0.0.tgz", "pkg-1.0.0.tar", "pkg-x.tgz", "pkg-1.0.0/../x.tgz"} {
		if _, err := versionOfFile(n, f); err == nil {
			t.Errorf("versionOfFile(%q) accepted", f)
		}
	}
}

func publishDoc(t *testing.T, name, version string, tarball []byte, extra string) string {
	t.Helper()
	s512 := sha512.Sum512(tarball)
	s1 := sha1.Sum(tarball)
	return fmt.Sprintf(`{"_id":%q,"name":%q,"description":"d","dist-tags":{"latest":%q},
		"versions":{%q:{"name":%q,"version":%q,"dist":{"integrity":"sha512-%s","shasum":"%s","tarball":"http://x/y.tgz"}}},
		"readme":"# hi",%s
		"_attachments":{%q:{"content_type":"application/octet-stream","data":%q,"length":%d}}}`,
		name, name, version, version, name, version, base64.StdEncoding.EncodeToString(s512[:]), hex.EncodeToString(s1[:]), extra,
		name+"-"+version+".tgz", base64.StdEncoding.EncodeToString(tarball), len(tarball))
}

func TestParsePublishStreamsAttachment(t *testing.T) {
	tarball := bytes.Repeat([]byte("0123456789abcdef\x00\xff"), 300000) // ~5.4 MB
	doc := publishDoc(t, "@s/p", "1.0.0", tarball, `"access":null,"nested":{"a":[1,{"b":"}"}]},`)
	var got bytes.Buffer
	var calls int
	body, err := ParsePublish(strings.NewReader(doc), func(att string, r io.Reader) error {
		calls++
		if att != "@s/p-1.0.0.tgz" {
			t.Errorf("attachment name %q", att)
		}
		_, err := io.Copy(&got, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || !bytes.Equal(got.Bytes(), tarball) {
		t.Fatalf("calls %d, decoded %d bytes, want %d identical", calls, got.Len(), len(tarball))
	}
	if body.Name != "@s/p" || body.DistTags["latest"] != "1.0.0" || len(body.Versions) != 1 || body.Readme != "# hi" {
		t.Fatalf("metadata: %+v", body)
	}
	if a := body.Attachments["@s/p-1.0.0.tgz"]; a.Length != int64(len(tarball)) || a.ContentType != "application/octet-stream" {
		t.Fatalf("attachment info: %+v", a)
	}
}

func TestParsePublishEscapedSlashesAndUnreadData(t *testing.T) {
	tarball := []byte{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9} // base64 has '/' and '+'
	doc := publishDoc(t, "p", "1.0.0", tarball, "")
	b64 := base64.StdEncoding.EncodeToString(tarball)
	doc = strings.Replace(doc, b64, strings.ReplaceAll(b64, "/", `\/`), 1)
	var got []byte
	_, err := ParsePublish(strings.NewReader(doc), func(_ string, r io.Reader) error {
		var err error
		got, err = io.ReadAll(r)
		return err
	})
	if err != nil || !bytes.Equal(got, tarball) {
		t.Fatalf("got %x, %v", got, err)
	}
	// A callback that reads nothing still leaves the parser past the value.
	if _, err := ParsePublish(strings.NewReader(publishDoc(t, "p", "1.0.0", tarball, "")), func(string, io.Reader) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestParsePublishErrors(t *testing.T) {
	ok := publishDoc(t, "p", "1.0.0", []byte("tgz"), "")
	bad := []string{
		"",
		"[]",
		`{"name": "p",}`,
		`{"name": "p"`,
		ok[:len(ok)-40],
		ok + "x",
		strings.Replace(ok, `"data":"`, `"data":"!!!!`, 1),
		strings.Replace(ok, `"data":"`, `"data":"\u0041`, 1),
		`{"versions": "nope"}`,
		`{"_attachments": {"a": {"data": 12}}}`,
	}
	for _, doc := range bad {
		_, err := ParsePublish(strings.NewReader(doc), func(_ string, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
		if !apperr.Is(err, apperr.Validation) {
			t.Errorf("ParsePublish(%.60q) = %v, want a validation error", doc, err)
		}
	}
	// A size limit's error passes through unchanged (the handler answers 413).
	_, err := ParsePublish(blob.LimitReader(strings.NewReader(ok), 100), func(_ string, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	if !apperr.Is(err, apperr.TooLarge) {
		t.Fatalf("limited body: %v, want TooLarge", err)
	}
	// The callback's error aborts the parse.
	boom := errors.New("boom")
	if _, err := ParsePublish(strings.NewReader(ok), func(string, io.Reader) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("callback error: %v", err)
	}
}

func TestIntegrity(t *testing.T) {
	data := []byte("tarball bytes")
	s512 := sha512.Sum512(data)
	s1 := sha1.Sum(data)
	h := blob.NewHasher()
	h.Write(data)
	sums := h.Sum()

	sri := "sha512-" + base64.StdEncoding.EncodeToString(s512[:])
	for _, d := range []Dist{
		{Integrity: sri},
		{Integrity: "sha1-" + base64.StdEncoding.EncodeToString(s1[:]) + " " + sri},
		{Shasum: hex.EncodeToString(s1[:])},
	} {
		want, ok := ExpectedDigest(d)
		if !ok || !want.Matches(sums) {
			t.Errorf("%+v: ok=%v matches=%v", d, ok, want.Matches(sums))
		}
		if _, err := io.ReadAll(verify(bytes.NewReader(data), want)); err != nil {
			t.Errorf("%+v: verify: %v", d, err)
		}
		_, err := io.ReadAll(verify(bytes.NewReader(append([]byte("x"), data...)), want))
		if !errors.Is(err, ErrBadUpstream) {
			t.Errorf("%+v: tampered content passed: %v", d, err)
		}
	}
	if _, ok := ExpectedDigest(Dist{Tarball: "x"}); ok {
		t.Error("a dist without digests gave an expected digest")
	}
}

func TestPackumentMergeAndForms(t *testing.T) {
	n := Name{Scope: "s", Pkg: "p"}
	doc := func(v string, extra string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name":"@s/p","version":%q,"description":"v%s","scripts":{"x":"y"},"dependencies":{"a":"^1"},"dist":{"tarball":"http://upstream/elsewhere.tgz","integrity":"sha512-AA=="}%s}`, v, v, extra))
	}
	entries := []Entry{{Version: "1.0.0", Doc: doc("1.0.0", "")}, {Version: "2.0.0-rc.1", Doc: doc("2.0.0-rc.1", "")}, {Version: "1.10.0", Doc: doc("1.10.0", "")}}
	full, err := Packument(n, entries, map[string]string{"next": "2.0.0-rc.1", "gone": "9.9.9"}, "http://wharf/r/@s/p/-/", false)
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Name     string
		DistTags map[string]string `json:"dist-tags"`
		Versions map[string]map[string]any
		Time     map[string]string
	}
	if err := json.Unmarshal(full, &p); err != nil {
		t.Fatal(err)
	}
	if p.Name != "@s/p" || p.DistTags["latest"] != "1.10.0" || p.DistTags["next"] != "2.0.0-rc.1" || p.DistTags["gone"] != "" {
		t.Fatalf("dist-tags %v", p.DistTags)
	}
	tb := p.Versions["1.10.0"]["dist"].(map[string]any)["tarball"]
	if tb != "http://wharf/r/@s/p/-/p-1.10.0.tgz" || p.Versions["1.0.0"]["scripts"] == nil {
		t.Fatalf("full version doc: %v", p.Versions["1.10.0"])
	}

	abbr, err := Packument(n, entries, nil, "http://wharf/r/@s/p/-/", true)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Modified string
		Versions map[string]map[string]any
	}
	if err := json.Unmarshal(abbr, &a); err != nil {
		t.Fatal(err)
	}
	v := a.Versions["1.0.0"]
	if v["scripts"] != nil || v["description"] != nil || v["dependencies"] == nil || v["dist"] == nil || a.Modified == "" {
		t.Fatalf("abbreviated version doc: %v", v)
	}
}

func TestParseVersion(t *testing.T) {
	n := Name{Pkg: "p"}
	raw := json.RawMessage(`{"name":"p","version":"1.0.0","description":"sum","homepage":"https://h","repository":{"type":"git","url":"git+https://r"},
		"license":"MIT","readme":"# R","dependencies":{"@a/b":"^1","c":"2"},"devDependencies":{"d":"*"},"dist":{"shasum":"00"}}`)
	vi, err := ParseVersion(n, "1.0.0", raw)
	if err != nil {
		t.Fatal(err)
	}
	f := vi.Fields
	if f.Summary != "sum" || f.HomePage != "https://h" || f.SourceCode != "git+https://r" || fmt.Sprint(f.Licenses) != "[MIT]" || f.Readme != "# R" {
		t.Fatalf("fields %+v", f)
	}
	want := []model.Dependency{{Namespace: "a", Package: "b", DependencyType: "regular", VersionReq: "^1"}, {Package: "c", DependencyType: "regular", VersionReq: "2"}, {Package: "d", DependencyType: "dev", VersionReq: "*"}}
	if fmt.Sprint(f.Dependencies) != fmt.Sprint(want) {
		t.Fatalf("deps %v", f.Dependencies)
	}
	if bytes.Contains(f.Metadata, []byte("readme")) {
		t.Fatalf("metadata keeps the readme: %s", f.Metadata)
	}
	for _, c := range []struct{ v, doc string }{
		{"1.0.0", `{"name":"other","version":"1.0.0"}`},
		{"1.0.0", `{"name":"p","version":"2.0.0"}`},
		{"../1", `{"name":"p","version":"../1"}`},
		{"1.0.0", `nope`},
	} {
		if _, err := ParseVersion(n, c.v, json.RawMessage(c.doc)); err == nil {
			t.Errorf("ParseVersion(%s) accepted", c.doc)
		}
	}
}

func TestParseUpstream(t *testing.T) {
	n := Name{Pkg: "p"}
	if _, err := ParseUpstream(n, []byte(`{"name":"p","versions":{}}`)); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{`not json`, `{"name":"other","versions":{}}`, `{}`, `{"name":"p","versions":[1]}`, `[]`} {
		if _, err := ParseUpstream(n, []byte(b)); !errors.Is(err, ErrBadUpstream) {
			t.Errorf("ParseUpstream(%s) = %v", b, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	order := []string{"0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "10.0.0"}
	for i := 0; i+1 < len(order); i++ {
		if compareVersions(order[i], order[i+1]) >= 0 || compareVersions(order[i+1], order[i]) <= 0 {
			t.Errorf("%s should sort before %s", order[i], order[i+1])
		}
	}
	for _, v := range []string{"1.0", "01.0.0", "1.0.0-", "v1.0.0", "1.0.0-a..b"} {
		if validSemver(v) {
			t.Errorf("%q accepted as semver", v)
		}
	}
}

func TestWriteErrorStatuses(t *testing.T) {
	h := &Handler{log: slogDiscard()}
	cases := []struct {
		err    error
		status int
	}{
		{apperr.New(apperr.Unauthenticated, "expired"), 401},
		{apperr.Validationf("bad"), 400},
		{apperr.NotFoundf("package", "p", "nope"), 404},
		{apperr.Conflictf("package-version", "1", "exists"), 409},
		{apperr.New(apperr.AccessDenied, "no"), 403},
		{apperr.New(apperr.TooLarge, "big"), 413},
		{apperr.New(apperr.Internal, "up").Wrap(fmt.Errorf("%w: %w", upstream.ErrUnavailable, upstream.ErrTimeout)), 504},
		{apperr.New(apperr.Internal, "up").Wrap(upstream.ErrUnavailable), 502},
		{apperr.New(apperr.Internal, "bad doc").Wrap(ErrBadUpstream), 502},
		{errors.New("secret detail"), 500},
		// npm's own statuses, where it differs from endpoints.HTTPStatus.
		{apperr.New(apperr.QuotaExceeded, "full"), 402},
		{apperr.New(apperr.NotImplemented, "later"), 405},
		{apperr.New(apperr.Validation, "no").WithReason(endpoints.ReasonMethodNotAllowed), 400},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		h.WriteError(w, httptest.NewRequest("GET", "/x", nil), c.err)
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["error"] == "" {
			t.Errorf("%v: body %q", c.err, w.Body.String())
		}
		if w.Code != c.status {
			t.Errorf("%v: status %d, want %d", c.err, w.Code, c.status)
		}
		if got := w.Header().Get("WWW-Authenticate"); (c.status == 401) != strings.HasPrefix(got, `Bearer realm="wharf"`) {
			t.Errorf("%v: WWW-Authenticate %q", c.err, got)
		}
		if strings.Contains(w.Body.String(), "secret detail") {
			t.Errorf("internal error detail leaked: %s", w.Body.String())
		}
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestWithDigests(t *testing.T) {
	h := blob.NewHasher()
	h.Write([]byte("tgz"))
	sums := h.Sum()
	out, err := WithDigests(json.RawMessage(`{"name":"p","dist":{"tarball":"t"}}`), sums)
	if err != nil {
		t.Fatal(err)
	}
	var v versionFields
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	want, ok := ExpectedDigest(v.Dist)
	if !ok || want.Algo != "sha512" || !want.Matches(sums) || v.Dist.Shasum != sums.SHA1 || v.Dist.Tarball != "t" {
		t.Fatalf("dist %+v", v.Dist)
	}
}
