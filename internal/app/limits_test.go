package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/config"
)

// repeatReader yields n copies of byte c without holding them.
type repeatReader struct {
	c byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// npmPublishBody is a publish of lim@1.0.0 whose top-level readme is readme
// bytes of 'a' (streamed), with extra raw JSON members added to the version.
func npmPublishBody(readme int64, versionExtra string) io.Reader {
	tgz := []byte("not really a tarball")
	head := `{"name":"lim","dist-tags":{"latest":"1.0.0"},"versions":{"1.0.0":{"name":"lim","version":"1.0.0"` + versionExtra +
		`,"dist":{"tarball":"x"}}},"_attachments":{"lim-1.0.0.tgz":{"content_type":"application/octet-stream","data":"` +
		base64.StdEncoding.EncodeToString(tgz) + `","length":` + fmt.Sprint(len(tgz)) + `}},"readme":"`
	return io.MultiReader(strings.NewReader(head), &repeatReader{'a', readme}, strings.NewReader(`"}`))
}

// TestPublishLimits: every limit of docs/limits.md refuses with 413 and a
// message, for npm, PyPI and Maven uploads, and a publish within them works.
func TestPublishLimits(t *testing.T) {
	e := newFaultEnv(t, func(c *config.Config) {
		c.MaxPublishBytes = 100 << 10
		c.Limits.NpmMaxMetadataBytes = 256 << 10
		c.Limits.NpmMaxReadmeBytes = 64 << 10
		c.Limits.NpmMaxDescriptionBytes = 1 << 10
		c.Limits.PypiMaxFields = 20
		c.Limits.PypiMaxFieldBytes = 10 << 10
		c.Limits.PypiMaxFormBytes = 30 << 10
		c.Limits.MavenMaxPomBytes = 10 << 10
	})
	npm, pypi, maven := types.PackageFormatNpm, types.PackageFormatPypi, types.PackageFormatMaven
	check := func(what string, status int, body []byte, want int) {
		t.Helper()
		if status != want || (want != 200 && want != 201 && len(body) == 0) {
			t.Errorf("%s: status %d (%.200q), want %d", what, status, body, want)
		}
	}

	// npm
	st, b := e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(1<<30, "")) // 1 GiB readme, streamed
	check("npm readme far over the metadata limit", st, b, 413)
	st, b = e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(100<<10, ""))
	check("npm readme over its limit", st, b, 413)
	st, b = e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(10, `,"readme":"`+strings.Repeat("r", 100<<10)+`"`))
	check("npm version readme over its limit", st, b, 413)
	st, b = e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(10, `,"description":"`+strings.Repeat("d", 2<<10)+`"`))
	check("npm description over its limit", st, b, 413)
	st, b = e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(10, `,"dist":{"integrity":"sha512-!!!"}`))
	check("npm unparsable dist.integrity", st, b, 400)
	st, b = e.do(npm, http.MethodPut, "lim", "application/json", npmPublishBody(10, ""))
	check("npm publish within the limits", st, b, 200)

	// PyPI: the form around the file, then the file.
	upload := func(fields map[string][]string, file []byte) (int, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, vs := range fields {
			for _, v := range vs {
				_ = mw.WriteField(k, v)
			}
		}
		fw, _ := mw.CreateFormFile("content", "lim-1.0.tar.gz")
		_, _ = fw.Write(file)
		_ = mw.Close()
		return e.do(pypi, http.MethodPost, "legacy/", mw.FormDataContentType(), &buf)
	}
	base := map[string][]string{":action": {"file_upload"}, "name": {"lim"}, "version": {"1.0"}}
	with := func(k string, vs ...string) map[string][]string {
		m := map[string][]string{}
		for kk, vv := range base {
			m[kk] = vv
		}
		m[k] = vs
		return m
	}
	st, b = upload(with("classifiers", strings.Split(strings.Repeat("x,", 30), ",")...), []byte("f"))
	check("pypi too many fields", st, b, 413)
	st, b = upload(with("description", strings.Repeat("d", 11<<10)), []byte("f"))
	check("pypi field over its limit", st, b, 413)
	st, b = upload(with("classifiers", strings.Repeat("c", 9<<10), strings.Repeat("c", 9<<10), strings.Repeat("c", 9<<10), strings.Repeat("c", 9<<10)), []byte("f"))
	check("pypi form over its total", st, b, 413)
	st, b = upload(base, bytes.Repeat([]byte("w"), 200<<10))
	check("pypi file over --max-publish-bytes", st, b, 413)

	// Maven: a file over --max-publish-bytes, with and without a length, and a POM over its limit.
	jar := bytes.Repeat([]byte("j"), 200<<10)
	st, b = e.do(maven, http.MethodPut, "org/example/lim/1.0/lim-1.0.jar", "", bytes.NewReader(jar))
	check("maven jar over --max-publish-bytes", st, b, 413)
	st, b = e.do(maven, http.MethodPut, "org/example/lim/1.0/lim-1.0.jar", "", io.MultiReader(bytes.NewReader(jar))) // chunked
	check("maven jar over --max-publish-bytes, no length", st, b, 413)
	pom := `<project><modelVersion>4.0.0</modelVersion><groupId>org.example</groupId><artifactId>lim</artifactId><version>1.0</version><description>` +
		strings.Repeat("p", 11<<10) + `</description></project>`
	st, b = e.do(maven, http.MethodPut, "org/example/lim/1.0/lim-1.0.pom", "", io.MultiReader(strings.NewReader(pom)))
	check("maven POM over its limit", st, b, 413)
	st, b = e.do(maven, http.MethodPut, "org/example/lim/1.0/lim-1.0.jar", "", bytes.NewReader(jar[:50<<10]))
	check("maven jar within the limit", st, b, 201)
	if n := e.versions(maven, "org.example", "lim"); n != 1 {
		t.Errorf("maven: %d versions, want the one within the limit", n)
	}

	// Generic: an asset over --max-publish-bytes.
	ctx := context.Background()
	ca := e.srv.CodeArtifact()
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("faults"), Repository: aws.String("gen")}))
	_, err := ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String("faults"), Repository: aws.String("gen"),
		Format: types.PackageFormatGeneric, Namespace: aws.String("ns"), Package: aws.String("big"), PackageVersion: aws.String("1.0"),
		AssetName: aws.String("big.bin"), AssetContent: bytes.NewReader(jar), AssetSHA256: aws.String(sha(jar))})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusRequestEntityTooLarge {
		t.Errorf("generic asset over --max-publish-bytes: %v, want 413", err)
	}
}

// TestPypiUploadMustBeADistribution: bytes that are not a wheel of the
// claimed project and version are refused with 400 and a reason, and kept
// nowhere; the real wheel is accepted.
func TestPypiUploadMustBeADistribution(t *testing.T) {
	e := newFaultEnv(t)
	wheel := func(name, version string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name + "-" + version + ".dist-info/METADATA")
		fmt.Fprintf(w, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n\n", name, version)
		_ = zw.Close()
		return buf.Bytes()
	}
	upload := func(file []byte) (int, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{":action": "file_upload", "name": "distck", "version": "1.0"} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("content", "distck-1.0-py3-none-any.whl")
		_, _ = fw.Write(file)
		_ = mw.Close()
		return e.do(types.PackageFormatPypi, http.MethodPost, "legacy/", mw.FormDataContentType(), &buf)
	}
	before := e.blobFiles()
	for what, b := range map[string][]byte{
		"arbitrary bytes": []byte("#!/bin/sh\nrm -rf /\n"),
		"another project": wheel("other", "1.0"),
		"another version": wheel("distck", "2.0"),
		"a truncated zip": wheel("distck", "1.0")[:40],
		"an empty file":   nil,
	} {
		st, body := upload(b)
		if st != http.StatusBadRequest || !strings.Contains(string(body), "not a valid distribution") {
			t.Errorf("%s: %d %q, want 400 saying why", what, st, body)
		}
	}
	if n := e.blobFiles(); n != before {
		t.Fatalf("refused uploads left %d blob files", n-before)
	}
	if st, body := upload(wheel("distck", "1.0")); st != http.StatusOK {
		t.Fatalf("the real wheel: %d %q", st, body)
	}
}

// TestNpmPackumentShowsTheLatestReadme: version listings carry no readmes, and
// the full packument still shows the latest version's.
func TestNpmPackumentShowsTheLatestReadme(t *testing.T) {
	e := newFaultEnv(t)
	publish := func(version, readme string) {
		tgz := []byte("tarball of " + version)
		body := `{"name":"rdm","dist-tags":{"latest":"` + version + `"},"versions":{"` + version + `":{"name":"rdm","version":"` + version +
			`","dist":{"tarball":"x"}}},"readme":"` + readme + `","_attachments":{"rdm-` + version + `.tgz":{"data":"` +
			base64.StdEncoding.EncodeToString(tgz) + `"}}}`
		if st, b := e.do(types.PackageFormatNpm, http.MethodPut, "rdm", "application/json", strings.NewReader(body)); st != 200 {
			t.Fatalf("publish %s: %d %s", version, st, b)
		}
	}
	publish("1.0.0", "old readme")
	publish("2.0.0", "new readme")
	st, b := e.get(types.PackageFormatNpm, "rdm")
	var doc struct {
		Readme string `json:"readme"`
	}
	if st != 200 || json.Unmarshal(b, &doc) != nil || doc.Readme != "new readme" {
		t.Fatalf("packument: %d, readme %q", st, doc.Readme)
	}
}
