package app_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
)

// The archives of the newer formats are bounded by what they unpack to, as
// docs/limits.md lists, and those limits are flags (hence config file keys
// and WHARF_* variables) like npm's, PyPI's and Maven's: a publish whose
// archive unpacks past the configured limit is refused naming it, and one
// within it is accepted.
func TestNewFormatArchiveLimitsAreConfigurable(t *testing.T) {
	const limit = 3000
	args := []string{"--cargo-max-unpacked-bytes", fmt.Sprint(limit), "--gem-max-unpacked-bytes", fmt.Sprint(limit),
		"--nuget-max-unpacked-bytes", fmt.Sprint(limit), "--swift-max-unpacked-bytes", fmt.Sprint(limit)}
	parsed, err := config.ParseServe(args, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.Limits = parsed.Limits }})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	d := aws.String("limits")
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: d}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: d, Repository: aws.String("repo")}))
	tok := *must(ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: d})).AuthorizationToken
	ep := func(f types.PackageFormat) string {
		out := must(ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: d, Repository: aws.String("repo"), Format: f}))
		return strings.TrimRight(*out.RepositoryEndpoint, "/") + "/"
	}
	send := func(method, url, ct string, body []byte, hdr ...string) (int, string) {
		req, _ := http.NewRequest(method, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", ct)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	publish := map[types.PackageFormat]func(version string, content []byte) (int, string){
		types.PackageFormatCargo: func(version string, content []byte) (int, string) {
			root := "lim-" + version + "/"
			crate := tgz([2]string{root + "Cargo.toml", "[package]\nname = \"lim\"\n"}, [2]string{root + "src/lib.rs", string(content)})
			meta := fmt.Sprintf(`{"name":"lim","vers":%q,"deps":[],"features":{}}`, version)
			return send(http.MethodPut, ep(types.PackageFormatCargo)+"api/v1/crates/new", "application/octet-stream", cargofmt.EncodePublish([]byte(meta), crate))
		},
		types.PackageFormatRuby: func(version string, content []byte) (int, string) {
			spec := "--- !ruby/object:Gem::Specification\nname: lim\nversion: !ruby/object:Gem::Version\n  version: " + version +
				"\nplatform: ruby\nauthors:\n- w\ndependencies: []\nfiles:\n- lib/lim.rb\nsummary: limits\n"
			var gem bytes.Buffer
			tw := tar.NewWriter(&gem)
			for _, f := range [][2][]byte{{[]byte("metadata.gz"), gz([]byte(spec))}, {[]byte("data.tar.gz"), tgz([2]string{"lib/lim.rb", string(content)})}} {
				_ = tw.WriteHeader(&tar.Header{Name: string(f[0]), Mode: 0o444, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
				_, _ = tw.Write(f[1])
			}
			_ = tw.Close()
			return send(http.MethodPost, ep(types.PackageFormatRuby)+"api/v1/gems", "application/octet-stream", gem.Bytes())
		},
		types.PackageFormatNuget: func(version string, content []byte) (int, string) {
			pkg := testNupkg(t, "lim", version, content)
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			fw, _ := mw.CreateFormFile("package", "package.nupkg")
			_, _ = fw.Write(pkg)
			_ = mw.Close()
			return send(http.MethodPut, ep(types.PackageFormatNuget)+"v2/package", mw.FormDataContentType(), body.Bytes())
		},
		types.PackageFormatSwift: func(version string, content []byte) (int, string) {
			var archive bytes.Buffer
			zw := zip.NewWriter(&archive)
			for name, b := range map[string][]byte{"Lim/Package.swift": []byte("// swift-tools-version:5.9\n"), "Lim/Sources/Lim/x.swift": content} {
				w, _ := zw.Create(name)
				_, _ = w.Write(b)
			}
			_ = zw.Close()
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="source-archive"`)
			h.Set("Content-Type", "application/zip")
			pw, _ := mw.CreatePart(h)
			_, _ = pw.Write(archive.Bytes())
			_ = mw.Close()
			return send(http.MethodPut, ep(types.PackageFormatSwift)+"lim/Lim/"+version, mw.FormDataContentType(), body.Bytes(),
				"Accept", "application/vnd.swift.registry.v1+json")
		},
	}
	for f, pub := range publish {
		// Compressible: the archive is small, what it unpacks to is not.
		if st, body := pub("1.0.0", bytes.Repeat([]byte("x"), 4*limit)); st < 400 || st >= 500 || !strings.Contains(body, fmt.Sprint(limit)) {
			t.Errorf("%s: unpacking past the limit: %d %q, want a 4xx naming %d", f, st, body, limit)
		}
		if st, body := pub("1.0.1", []byte("small")); st/100 != 2 {
			t.Errorf("%s: within the limit: %d %q, want it accepted", f, st, body)
		}
	}
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	_, _ = w.Write(b)
	_ = w.Close()
	return out.Bytes()
}

// tgz is a gzipped tar of files (name, content).
func tgz(files ...[2]string) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, f := range files {
		_ = tw.WriteHeader(&tar.Header{Name: f[0], Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(f[1]))
	}
	_ = tw.Close()
	return gz(b.Bytes())
}
