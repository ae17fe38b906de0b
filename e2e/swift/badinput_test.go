package swift_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

// TestSwiftBadInput: what a client or an attacker can send to publish is
// refused with a problem details document, and nothing is recorded.
func TestSwiftBadInput(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.MaxPublishBytes = 2 << 20 }})
	const dom = "swiftbad"
	ca := srv.Setup(t, dom, []string{"repo"}, nil, nil)
	tok := apptest.Token(t, ca, dom)
	ep := apptest.Endpoint(t, ca, dom, "repo", types.PackageFormatSwift)

	raw := func(entries ...string) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, n := range entries {
			w, _ := zw.Create(n)
			_, _ = w.Write([]byte("// swift-tools-version:5.7\n"))
		}
		_ = zw.Close()
		return b.Bytes()
	}
	bomb := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("p/Package.swift")
		_, _ = w.Write([]byte("x"))
		w, _ = zw.Create("p/zeros")
		zero := make([]byte, 1<<20)
		for i := 0; i < 520; i++ { // deflates to about 0.5 MiB, over the 512 MiB unpack limit
			_, _ = w.Write(zero)
		}
		_ = zw.Close()
		return b.Bytes()
	}()
	big := func() []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "p/Package.swift", Method: zip.Store})
		_, _ = w.Write([]byte("x"))
		w, _ = zw.CreateHeader(&zip.FileHeader{Name: "p/noise", Method: zip.Store})
		_, _ = w.Write(randBytes(3 << 20))
		_ = zw.Close()
		return b.Bytes()
	}()
	good := sourceArchive(t, "p", "Package.swift", manifest)
	cases := []struct {
		name, scope, pkg, version string
		archive                   []byte
		meta                      string
		want                      int
		detail                    string
	}{
		{"traversal", "mona", "evil", "1.0.0", raw("p/Package.swift", "p/../../etc/passwd"), "", 400, "clean relative path"},
		{"absolute", "mona", "evil", "1.0.0", raw("/p/Package.swift"), "", 400, "relative path"},
		{"not a zip", "mona", "evil", "1.0.0", []byte("PK\x03\x04 not a zip at all"), "", 400, "not a zip"},
		{"no Package.swift", "mona", "evil", "1.0.0", raw("p/Sources/a.swift"), "", 400, "no Package.swift"},
		{"zip bomb", "mona", "evil", "1.0.0", bomb, "", 400, "unpacks to more than"},
		{"oversized", "mona", "evil", "1.0.0", big, "", 413, "larger than"},
		{"version not SemVer", "mona", "evil", "1.0", good, "", 400, "SemVer"},
		{"version with dots", "mona", "evil", "1.0.0-..", good, "", 400, "SemVer"},
		{"version with a slash", "mona", "evil", "1.0.0%2F..%2F..%2Fx", good, "", 400, "SemVer"},
		{"bad scope", "-mona", "evil", "1.0.0", good, "", 404, ""},
		{"bad name", "mona", "_evil", "1.0.0", good, "", 404, ""},
		{"metadata not JSON", "mona", "evil", "1.0.0", good, "{not json", 400, "not a JSON object"},
		{"metadata bad URL", "mona", "evil", "1.0.0", good, `{"repositoryURLs":["not a url"]}`, 400, "repository URL"},
		// Refused at the first byte over 256 KiB (413, as every publish limit), not read to its end and then found invalid.
		{"metadata over its limit", "mona", "evil", "1.0.0", good, `{"description":"` + strings.Repeat("d", 300<<10) + `"}`, 413, "metadata part is larger than 262144 bytes"},
	}
	for _, c := range cases {
		r := publish(t, ep, tok, c.scope, c.pkg, c.version, c.archive, c.meta)
		if r.Status != c.want || r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("Content-Version") != "1" || !strings.Contains(string(r.Body), c.detail) {
			t.Errorf("%s: %d %s %s, want %d with %q", c.name, r.Status, r.Header.Get("Content-Type"), r.Body, c.want, c.detail)
		}
	}

	// A body that is not multipart, and one without the archive.
	req, _ := http.NewRequest(http.MethodPut, ep+"mona/evil/1.0.0", bytes.NewReader(good))
	req.Header.Set("Content-Type", "application/zip")
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := do(t, req); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("zip body: %d %s", r.Status, r.Body)
	}
	req, _ = http.NewRequest(http.MethodPut, ep+"mona/evil/1.0.0", strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n--b--\r\n"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := do(t, req); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "no source-archive") {
		t.Errorf("no archive: %d %s", r.Status, r.Body)
	}

	// Nothing was recorded.
	lp, err := ca.ListPackages(context.Background(), &codeartifact.ListPackagesInput{Domain: aws.String(dom), Repository: aws.String("repo"), Format: types.PackageFormatSwift})
	if err != nil || len(lp.Packages) != 0 {
		t.Fatalf("after refusals: %v %+v", err, lp)
	}

	// Identifiers differing only in case are one package: a second spelling
	// of an existing package is refused.
	if r := publish(t, ep, tok, "mona", "Thing", "1.0.0", good, ""); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	if r := publish(t, ep, tok, "MONA", "thing", "1.0.1", good, ""); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "previously published as mona.Thing") {
		t.Errorf("case collision: %d %s", r.Status, r.Body)
	}
	if r := get(t, ep+"identifiers?url=file:///etc", tok, acceptJSON); r.Status != http.StatusBadRequest {
		t.Errorf("identifiers with a non-repository URL: %d %s", r.Status, r.Body)
	}
}

// TestSwiftMetadataSentAsIs: SwiftPM declares the metadata part
// quoted-printable and sends the JSON unencoded. A long JSON line (a long
// description, longer than a quoted-printable line may be) and an "=" (in a
// URL's query) are kept exactly as sent.
func TestSwiftMetadataSentAsIs(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{})
	const dom = "swiftmeta"
	ca := srv.Setup(t, dom, []string{"repo"}, nil, nil)
	tok := apptest.Token(t, ca, dom)
	ep := apptest.Endpoint(t, ca, dom, "repo", types.PackageFormatSwift)
	desc := strings.Repeat("long description ", 600) + "see https://example.test/docs?page=3D&x=1"
	meta, _ := json.Marshal(map[string]any{"description": desc})
	if r := publish(t, ep, tok, "mona", "meta", "1.0.0", sourceArchive(t, "p", "Package.swift", manifest), string(meta)); r.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.Status, r.Body)
	}
	r := get(t, ep+"mona/meta/1.0.0", tok, acceptJSON)
	var rel struct {
		Metadata struct {
			Description string `json:"description"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(r.Body, &rel); err != nil || rel.Metadata.Description != desc {
		t.Fatalf("release metadata: %d %v, description kept as sent: %v", r.Status, err, rel.Metadata.Description == desc)
	}
}
