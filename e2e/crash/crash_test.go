// Package crash kills a real wharf with SIGKILL in the middle of concurrent
// publishes across formats, restarts it on the same data directory, and checks
// that every acknowledged publish is there byte for byte and that no version is
// half visible (every asset of every listed version reads back whole).
package crash

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/proctest"
)

const (
	rounds  = 4                       // kill/restart cycles
	workers = 8                       // concurrent publishers, one per format
	maxLoad = 1500 * time.Millisecond // longest a round runs before the kill
	domain  = "crash"
	repo    = "store"
)

// published is one acknowledged publish: where it is and the bytes of its asset.
type published struct {
	format    types.PackageFormat
	namespace string
	pkg       string
	version   string
	sha256    string
	content   []byte
}

func client(url string) *codeartifact.Client {
	return codeartifact.NewFromConfig(aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider(proctest.AccessKeyID, proctest.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	})
}

func TestKilledDuringPublishesLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("runs wharf as a process and kills it")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("WHARF_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (rerun with WHARF_CRASH_SEED)", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	data := t.TempDir()
	ctx := context.Background()

	var acked []published
	for round := range rounds {
		p := proctest.Start(t, data, nil)
		ca := client(p.URL)
		if round == 0 {
			if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(domain)}); err != nil {
				t.Fatal(err)
			}
			if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(domain), Repository: aws.String(repo)}); err != nil {
				t.Fatal(err)
			}
		}
		pub := newPublisher(t, p.URL, ca)
		if round > 0 {
			verify(t, pub, acked, round)
		}

		var mu sync.Mutex
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					version := fmt.Sprintf("1.%d.%d", round, i)
					rec, err := pub.publish(ctx, w, version)
					if err != nil {
						continue // unacknowledged: the server was killed, or refused
					}
					mu.Lock()
					acked = append(acked, rec)
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(100+rng.IntN(int(maxLoad/time.Millisecond)-100)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
		t.Logf("round %d: killed after %d acknowledged publishes in all", round, len(acked))
	}
	perFormat := map[types.PackageFormat]int{}
	for _, a := range acked {
		perFormat[a.format]++
	}
	for _, f := range []types.PackageFormat{types.PackageFormatNpm, types.PackageFormatPypi, types.PackageFormatMaven, types.PackageFormatGeneric,
		types.PackageFormatCargo, types.PackageFormatRuby, types.PackageFormatNuget, types.PackageFormatSwift} {
		if perFormat[f] == 0 {
			t.Fatalf("no %s publish was acknowledged (%v): the test proved nothing for it", f, perFormat)
		}
	}
	t.Logf("acknowledged per format: %v", perFormat)
	p := proctest.Start(t, data, nil)
	verify(t, newPublisher(t, p.URL, client(p.URL)), acked, rounds)
}

func newPublisher(t *testing.T, url string, ca *codeartifact.Client) *publisher {
	tok, err := ca.GetAuthorizationToken(context.Background(), &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(domain)})
	if err != nil {
		t.Fatal(err)
	}
	return &publisher{url: url, token: *tok.AuthorizationToken, ca: ca}
}

// verify checks every acknowledged publish byte for byte, then that every listed
// version of every package has all its assets readable and matching their hashes.
func verify(t *testing.T, pub *publisher, acked []published, round int) {
	t.Helper()
	ctx := context.Background()
	ca := pub.ca
	for _, a := range acked {
		got, err := asset(ctx, ca, a.format, a.namespace, a.pkg, a.version, a.sha256)
		if err != nil {
			t.Fatalf("after restart %d: acknowledged %s %s/%s %s: %v", round, a.format, a.namespace, a.pkg, a.version, err)
		}
		if !bytes.Equal(got, a.content) {
			t.Fatalf("after restart %d: acknowledged %s %s %s reads back %d bytes that differ from the %d published", round, a.format, a.pkg, a.version, len(got), len(a.content))
		}
	}
	versions := 0
	pkgs := codeartifact.NewListPackagesPaginator(ca, &codeartifact.ListPackagesInput{Domain: aws.String(domain), Repository: aws.String(repo)})
	for pkgs.HasMorePages() {
		page, err := pkgs.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, pk := range page.Packages {
			vs := codeartifact.NewListPackageVersionsPaginator(ca, &codeartifact.ListPackageVersionsInput{Domain: aws.String(domain), Repository: aws.String(repo),
				Format: pk.Format, Namespace: pk.Namespace, Package: pk.Package})
			for vs.HasMorePages() {
				vpage, err := vs.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range vpage.Versions {
					versions++
					assets, err := ca.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String(repo),
						Format: pk.Format, Namespace: pk.Namespace, Package: pk.Package, PackageVersion: v.Version})
					if err != nil {
						t.Fatalf("listed version %s %s: assets: %v", aws.ToString(pk.Package), aws.ToString(v.Version), err)
					}
					if len(assets.Assets) == 0 {
						t.Fatalf("listed version %s %s (%s) has no asset", aws.ToString(pk.Package), aws.ToString(v.Version), v.Status)
					}
					for _, as := range assets.Assets {
						if v.Status == types.PackageVersionStatusUnfinished {
							// A Maven version between its first file and its metadata: the
							// API does not serve it (as in CodeArtifact), the repository's
							// own Maven endpoint does.
							if err := pub.mavenFileMatches(aws.ToString(pk.Namespace), aws.ToString(pk.Package), aws.ToString(v.Version), aws.ToString(as.Name), as.Hashes["SHA-256"]); err != nil {
								t.Fatalf("unfinished version %s %s: %v", aws.ToString(pk.Package), aws.ToString(v.Version), err)
							}
							continue
						}
						if _, err := asset(ctx, ca, pk.Format, aws.ToString(pk.Namespace), aws.ToString(pk.Package), aws.ToString(v.Version), as.Hashes["SHA-256"]); err != nil {
							t.Fatalf("listed version %s %s: asset %s: %v", aws.ToString(pk.Package), aws.ToString(v.Version), aws.ToString(as.Name), err)
						}
					}
				}
			}
		}
	}
	t.Logf("after restart %d: %d acknowledged publishes intact, %d listed versions complete", round, len(acked), versions)
}

// asset reads the version's asset whose SHA-256 is sum, checking the bytes.
func asset(ctx context.Context, ca *codeartifact.Client, f types.PackageFormat, ns, pkg, version, sum string) ([]byte, error) {
	var nsp *string
	if ns != "" {
		nsp = aws.String(ns)
	}
	list, err := ca.ListPackageVersionAssets(ctx, &codeartifact.ListPackageVersionAssetsInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: f, Namespace: nsp, Package: aws.String(pkg), PackageVersion: aws.String(version)})
	if err != nil {
		return nil, err
	}
	for _, a := range list.Assets {
		if a.Hashes["SHA-256"] != sum {
			continue
		}
		out, err := ca.GetPackageVersionAsset(ctx, &codeartifact.GetPackageVersionAssetInput{Domain: aws.String(domain), Repository: aws.String(repo),
			Format: f, Namespace: nsp, Package: aws.String(pkg), PackageVersion: aws.String(version), Asset: a.Name})
		if err != nil {
			return nil, err
		}
		defer out.Asset.Close()
		b, err := io.ReadAll(out.Asset)
		if err != nil {
			return nil, err
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != sum {
			return nil, fmt.Errorf("asset %s does not hash to its listed SHA-256", aws.ToString(a.Name))
		}
		return b, nil
	}
	return nil, fmt.Errorf("no asset with SHA-256 %s among %d", sum, len(list.Assets))
}

type publisher struct {
	url   string
	token string
	ca    *codeartifact.Client
}

func (p *publisher) endpoint(format string) string {
	return p.url + "/" + domain + "-" + model.DefaultAccount + "/" + format + "/" + repo + "/"
}

// mavenFileMatches reads a file of an Unfinished Maven version through the
// repository's Maven endpoint and checks its SHA-256.
func (p *publisher) mavenFileMatches(group, artifact, version, file, sum string) error {
	req, _ := http.NewRequest(http.MethodGet, p.endpoint("maven")+strings.ReplaceAll(group, ".", "/")+"/"+artifact+"/"+version+"/"+file, nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %v", file, resp.StatusCode, err)
	}
	if shaHex(b) != sum {
		return fmt.Errorf("%s does not hash to its listed SHA-256", file)
	}
	return nil
}

func shaHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// publish sends one publish of worker w's package in the worker's format and
// returns what an acknowledgement promises.
func (p *publisher) publish(ctx context.Context, w int, version string) (published, error) {
	switch w % 8 {
	case 0:
		return p.npm(w, version)
	case 1:
		return p.pypi(w, version)
	case 2:
		return p.maven(w, version)
	case 3:
		return p.cargo(w, version)
	case 4:
		return p.ruby(w, version)
	case 5:
		return p.nuget(w, version)
	case 6:
		return p.swift(w, version)
	}
	return p.generic(ctx, w, version)
}

// filler makes some kilobytes of content unique to the publish.
func filler(what string) []byte {
	return bytes.Repeat([]byte(what+"\n"), 200+len(what)*37%300)
}

func (p *publisher) send(method, url, contentType string, body []byte, header ...string) error {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return nil
}

func (p *publisher) npm(w int, version string) (published, error) {
	name := fmt.Sprintf("crash-npm-%d", w)
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	pj := []byte(fmt.Sprintf(`{"name":%q,"version":%q}`, name, version))
	for _, f := range []struct {
		name string
		body []byte
	}{{"package/package.json", pj}, {"package/index.js", filler(name + version)}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		tw.Write(f.body)
	}
	tw.Close()
	gz.Close()
	tarball := tgz.Bytes()
	s512 := sha512.Sum512(tarball)
	s1 := sha1.Sum(tarball)
	file := name + "-" + version + ".tgz"
	doc := map[string]any{
		"_id": name, "name": name, "dist-tags": map[string]string{"latest": version},
		"versions": map[string]any{version: map[string]any{
			"name": name, "version": version, "_id": name + "@" + version,
			"dist": map[string]any{"integrity": "sha512-" + base64.StdEncoding.EncodeToString(s512[:]), "shasum": hex.EncodeToString(s1[:]), "tarball": p.endpoint("npm") + name + "/-/" + file},
		}},
		"_attachments": map[string]any{file: map[string]any{"content_type": "application/octet-stream", "data": base64.StdEncoding.EncodeToString(tarball), "length": len(tarball)}},
	}
	body, _ := json.Marshal(doc)
	if err := p.send(http.MethodPut, p.endpoint("npm")+name, "application/json", body); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatNpm, pkg: name, version: version, sha256: shaHex(tarball), content: tarball}, nil
}

func zipOf(files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		f, _ := zw.Create(name)
		f.Write(body)
	}
	zw.Close()
	return b.Bytes()
}

func (p *publisher) pypi(w int, version string) (published, error) {
	name := fmt.Sprintf("crash_py_%d", w)
	file := fmt.Sprintf("%s-%s-py3-none-any.whl", name, version)
	info := fmt.Sprintf("%s-%s.dist-info/", name, version)
	wheel := zipOf(map[string][]byte{
		name + "/__init__.py": filler(name + version),
		info + "METADATA":     []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: crash test\n", name, version)),
		info + "WHEEL":        []byte("Wheel-Version: 1.0\nGenerator: crash\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
		info + "RECORD":       []byte(""),
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1", "name": name,
		"version": version, "filetype": "bdist_wheel", "pyversion": "py3", "summary": "crash test", "sha256_digest": shaHex(wheel)} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("content", file)
	fw.Write(wheel)
	mw.Close()
	if err := p.send(http.MethodPost, p.endpoint("pypi"), mw.FormDataContentType(), body.Bytes()); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatPypi, pkg: name, version: version, sha256: shaHex(wheel), content: wheel}, nil
}

func (p *publisher) maven(w int, version string) (published, error) {
	group, artifact := "com.acme.crash", fmt.Sprintf("lib%d", w)
	base := p.endpoint("maven") + "com/acme/crash/" + artifact + "/"
	jar := zipOf(map[string][]byte{"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\n"), "a/B.class": filler(artifact + version)})
	pom := []byte(fmt.Sprintf(`<project><modelVersion>4.0.0</modelVersion><groupId>%s</groupId><artifactId>%s</artifactId><version>%s</version></project>`, group, artifact, version))
	meta := []byte(fmt.Sprintf(`<metadata><groupId>%s</groupId><artifactId>%s</artifactId><versioning><release>%s</release><versions><version>%s</version></versions></versioning></metadata>`, group, artifact, version, version))
	for _, step := range []struct {
		path string
		body []byte
	}{
		{version + "/" + artifact + "-" + version + ".jar", jar},
		{version + "/" + artifact + "-" + version + ".pom", pom},
		{"maven-metadata.xml", meta},
	} {
		if err := p.send(http.MethodPut, base+step.path, "application/octet-stream", step.body); err != nil {
			return published{}, err
		}
	}
	return published{format: types.PackageFormatMaven, namespace: group, pkg: artifact, version: version, sha256: shaHex(jar), content: jar}, nil
}

func (p *publisher) generic(ctx context.Context, w int, version string) (published, error) {
	name := fmt.Sprintf("tool%d", w)
	body := filler(name + version)
	_, err := p.ca.PublishPackageVersion(ctx, &codeartifact.PublishPackageVersionInput{Domain: aws.String(domain), Repository: aws.String(repo),
		Format: types.PackageFormatGeneric, Namespace: aws.String("crash"), Package: aws.String(name), PackageVersion: aws.String(version),
		AssetName: aws.String(name + ".bin"), AssetContent: bytes.NewReader(body), AssetSHA256: aws.String(shaHex(body))})
	if err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatGeneric, namespace: "crash", pkg: name, version: version, sha256: shaHex(body), content: body}, nil
}

// tgzOf is a gzipped tar of files, in order.
func tgzOf(files ...[2][]byte) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: string(f[0]), Mode: 0o644, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		tw.Write(f[1])
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

func (p *publisher) cargo(w int, version string) (published, error) {
	name := fmt.Sprintf("crash-crate-%d", w)
	root := name + "-" + version + "/"
	crate := tgzOf([2][]byte{[]byte(root + "Cargo.toml"), []byte(fmt.Sprintf("[package]\nname = %q\nversion = %q\n", name, version))},
		[2][]byte{[]byte(root + "src/lib.rs"), filler(name + version)})
	meta := []byte(fmt.Sprintf(`{"name":%q,"vers":%q,"deps":[],"features":{}}`, name, version))
	if err := p.send(http.MethodPut, p.endpoint("cargo")+"api/v1/crates/new", "application/octet-stream", cargofmt.EncodePublish(meta, crate)); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatCargo, pkg: name, version: version, sha256: shaHex(crate), content: crate}, nil
}

func (p *publisher) ruby(w int, version string) (published, error) {
	name := fmt.Sprintf("crash-gem-%d", w)
	spec := fmt.Sprintf(`--- !ruby/object:Gem::Specification
name: %s
version: !ruby/object:Gem::Version
  version: %s
platform: ruby
authors:
- crash
dependencies: []
files:
- lib/crash.rb
summary: crash test
`, name, version)
	var meta bytes.Buffer
	gz := gzip.NewWriter(&meta)
	gz.Write([]byte(spec))
	gz.Close()
	data := tgzOf([2][]byte{[]byte("lib/crash.rb"), filler(name + version)})
	var gem bytes.Buffer
	tw := tar.NewWriter(&gem)
	for _, f := range [][2][]byte{{[]byte("metadata.gz"), meta.Bytes()}, {[]byte("data.tar.gz"), data}} {
		tw.WriteHeader(&tar.Header{Name: string(f[0]), Mode: 0o444, Size: int64(len(f[1])), Typeflag: tar.TypeReg})
		tw.Write(f[1])
	}
	tw.Close()
	b := gem.Bytes()
	if err := p.send(http.MethodPost, p.endpoint("ruby")+"api/v1/gems", "application/octet-stream", b); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatRuby, pkg: name, version: version, sha256: shaHex(b), content: b}, nil
}

func (p *publisher) nuget(w int, version string) (published, error) {
	id := fmt.Sprintf("crash.nuget%d", w)
	nuspec := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>%s</id><version>%s</version><authors>crash</authors><description>crash test</description></metadata></package>`, id, version)
	pkg := zipOf(map[string][]byte{id + ".nuspec": []byte(nuspec), "lib/net8.0/" + id + ".dll": filler(id + version)})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("package", "package.nupkg")
	fw.Write(pkg)
	mw.Close()
	if err := p.send(http.MethodPut, p.endpoint("nuget")+"v2/package", mw.FormDataContentType(), body.Bytes()); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatNuget, pkg: id, version: version, sha256: shaHex(pkg), content: pkg}, nil
}

func (p *publisher) swift(w int, version string) (published, error) {
	scope, name := "crash", fmt.Sprintf("Pkg%d", w)
	archive := zipOf(map[string][]byte{name + "/Package.swift": []byte("// swift-tools-version:5.9\n"), name + "/Sources/" + name + "/x.swift": filler(name + version)})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="source-archive"`)
	h.Set("Content-Type", "application/zip")
	fw, _ := mw.CreatePart(h)
	fw.Write(archive)
	mw.Close()
	if err := p.send(http.MethodPut, p.endpoint("swift")+scope+"/"+name+"/"+version, mw.FormDataContentType(), body.Bytes(),
		"Accept", "application/vnd.swift.registry.v1+json"); err != nil {
		return published{}, err
	}
	return published{format: types.PackageFormatSwift, namespace: scope, pkg: name, version: version, sha256: shaHex(archive), content: archive}, nil
}
