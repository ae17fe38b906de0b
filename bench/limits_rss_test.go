package bench

// Peak RSS while wharf reads hostile publish metadata, for every format
// (issue 8: "memory per request stays bounded whatever a publish's metadata
// holds"): metadata far over its limit, and metadata at its byte limit made of
// millions of tiny values, which decoding multiplies. Every client streams its
// body from a generator, so the process's growth is the server's. Each
// benchmark fails unless wharf answers the status and message the format's
// limit gives, so a refusal for another reason (auth, a malformed body)
// cannot pass for a bounded one. The measurement (peakRSSGrowth), fillReader
// and the npm environment are rss_test.go's.

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// hugeMeta is how much metadata each hostile client sends: the 300 MiB of
// issue 8's npm readme.
const hugeMeta = 300 << 20

// limitsEnv is one in-process wharf with a repository and a token.
type limitsEnv struct {
	ca   *codeartifact.Client
	auth string
}

func newLimitsEnv(b *testing.B) limitsEnv {
	srv := apptest.Start(b)
	ca := srv.Setup(b, "lim", []string{"repo"}, nil, nil)
	return limitsEnv{ca: ca, auth: "Bearer " + apptest.Token(b, ca, "lim")}
}

// endpoint is the repository's endpoint for format f, ending in "/".
func (e limitsEnv) endpoint(b *testing.B, f types.PackageFormat) string {
	ep, err := e.ca.GetRepositoryEndpoint(context.Background(), &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("lim"), Repository: aws.String("repo"), Format: f})
	if err != nil {
		b.Fatal(err)
	}
	return strings.TrimSuffix(aws.ToString(ep.RepositoryEndpoint), "/") + "/"
}

// send streams body to url and returns the status and the start of the
// answer. It speaks HTTP/1.1 on its own connection rather than through
// net/http's client: wharf answers a refusal before the body is sent and
// closes the connection, and net/http's client then reports the failed write
// instead of the answer it could read.
func (e limitsEnv) send(b *testing.B, method, url, ctype string, body io.Reader, hdr ...string) (int, string) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n",
		method, req.URL.RequestURI(), req.URL.Host, e.auth, ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		head += hdr[i] + ": " + hdr[i+1] + "\r\n"
	}
	go func() {
		// Write errors end the body: wharf has answered and closed.
		if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
			return
		}
		cw := httputil.NewChunkedWriter(conn)
		if _, err := io.Copy(cw, body); err != nil {
			return
		}
		_ = cw.Close()
		_, _ = io.WriteString(conn, "\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		b.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return resp.StatusCode, string(msg)
}

// measureAnswer runs one hostile request per iteration and reports its
// status and the process's peak RSS growth, failing on any other status or
// an answer that does not contain wantMsg (the limit's refusal, or "" for a
// publish that is accepted).
func measureAnswer(b *testing.B, want int, wantMsg string, request func(i int) (int, string)) {
	for i := 0; b.Loop(); i++ {
		var status int
		var msg string
		peak := peakRSSGrowth(b, func() { status, msg = request(i) })
		if status != want || !strings.Contains(msg, wantMsg) {
			b.Fatalf("answer %d %s, want %d with %q", status, msg, want, wantMsg)
		}
		b.ReportMetric(float64(status), "status")
		b.ReportMetric(peak, "peak-rss-growth-MiB")
	}
}

// piped runs write into a pipe and returns its reading end: a body produced
// as the client sends it. A write failing because the request ended (wharf
// answered early) just stops the writer.
func piped(write func(w io.Writer) error) io.Reader {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw)) }()
	return pr
}

// countingWriter counts what is written through it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkPyPIManyFields: a twine-style upload whose form carries 300 fields
// of 1 MiB each before the file (issue 8 measured 2.3 GiB). Limits:
// --pypi-max-field-bytes 1 MiB, --pypi-max-form-bytes 8 MiB → 413.
func BenchmarkPyPIManyFields(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatPypi)
	const boundary = "wharfbenchboundary"
	field := func(name string, value io.Reader) []io.Reader {
		return []io.Reader{strings.NewReader("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n"), value, strings.NewReader("\r\n")}
	}
	measureAnswer(b, http.StatusRequestEntityTooLarge, "upload form fields exceed 8388608 bytes together", func(i int) (int, string) {
		var parts []io.Reader
		parts = append(parts, field(":action", strings.NewReader("file_upload"))...)
		parts = append(parts, field("name", strings.NewReader("fields"))...)
		parts = append(parts, field("version", strings.NewReader(fmt.Sprintf("1.0.%d", i)))...)
		for range 300 {
			parts = append(parts, field("classifiers", &fillReader{'c', 1 << 20})...)
		}
		parts = append(parts, strings.NewReader("--"+boundary+"--\r\n"))
		return e.send(b, http.MethodPost, ep+"legacy/", "multipart/form-data; boundary="+boundary, io.MultiReader(parts...))
	})
}

// cargoPublish is a cargo publish body: the declared JSON length, the JSON
// (streamed from meta), then a small crate.
func cargoPublish(jsonLen uint32, meta io.Reader) io.Reader {
	head := binary.LittleEndian.AppendUint32(nil, jsonLen)
	crate := []byte("not really a crate")
	tail := binary.LittleEndian.AppendUint32(nil, uint32(len(crate)))
	return io.MultiReader(bytes.NewReader(head), meta, bytes.NewReader(append(tail, crate...)))
}

// BenchmarkCargoHugeMetadata: a cargo publish whose JSON part (a readme) is
// 300 MiB. Limit: --cargo-max-metadata-bytes 8 MiB, checked on the declared
// length before the JSON is read → 413.
func BenchmarkCargoHugeMetadata(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatCargo)
	measureAnswer(b, http.StatusRequestEntityTooLarge, "metadata of 314572866 bytes (limit 8388608)", func(i int) (int, string) {
		head := fmt.Sprintf(`{"name":"huge","vers":"1.0.%d","deps":[],"features":{},"readme":"`, i)
		meta := io.MultiReader(strings.NewReader(head), &fillReader{'r', hugeMeta}, strings.NewReader(`"}`))
		return e.send(b, http.MethodPut, ep+"api/v1/crates/new", "application/octet-stream", cargoPublish(uint32(len(head)+hugeMeta+2), meta))
	})
}

// gemWithMetadata is a .gem (a tar) whose first entry, metadata.gz, is
// produced by writeGz; its size is found by a first, counting pass so
// neither pass holds it.
func gemWithMetadata(writeGz func(w io.Writer) error) io.Reader {
	var c countingWriter
	_ = writeGz(&c)
	return piped(func(w io.Writer) error {
		tw := tar.NewWriter(w)
		if err := tw.WriteHeader(&tar.Header{Name: "metadata.gz", Mode: 0o444, Size: c.n, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if err := writeGz(tw); err != nil {
			return err
		}
		return tw.Close()
	})
}

// BenchmarkGemHugeMetadata: a gem whose gemspec YAML (metadata.gz, stored
// without compression so all of it crosses the wire) has a 300 MiB
// description. Limit: --gem-max-metadata-bytes 4 MiB decompressed, and the
// entry at most what that compresses to, checked on the tar header's size
// → 400 (the gem is invalid).
func BenchmarkGemHugeMetadata(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatRuby)
	measureAnswer(b, http.StatusBadRequest, "4194304 bytes decompressed", func(i int) (int, string) {
		yaml := fmt.Sprintf("--- !ruby/object:Gem::Specification\nname: huge\nversion: !ruby/object:Gem::Version\n  version: 1.0.%d\nplatform: ruby\ndescription: ", i)
		gem := gemWithMetadata(func(w io.Writer) error {
			zw, _ := gzip.NewWriterLevel(w, gzip.NoCompression)
			if _, err := io.Copy(zw, io.MultiReader(strings.NewReader(yaml), &fillReader{'d', hugeMeta}, strings.NewReader("\n"))); err != nil {
				return err
			}
			return zw.Close()
		})
		return e.send(b, http.MethodPost, ep+"api/v1/gems", "application/octet-stream", gem)
	})
}

// BenchmarkGemEmptyDeflateMetadata: a gem whose metadata.gz is 300 MiB on the
// wire but inflates to nothing (a gzip stream of empty stored deflate
// blocks), so the decompressed limit is never reached; push holds what it
// reads of metadata.gz, so this is refused on the entry's size. → 400.
func BenchmarkGemEmptyDeflateMetadata(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatRuby)
	const blocks = hugeMeta / 5
	measureAnswer(b, http.StatusBadRequest, "4194304 bytes decompressed", func(int) (int, string) {
		gem := gemWithMetadata(func(w io.Writer) error {
			// gzip header (deflate, no flags), then empty stored blocks
			// (BFINAL=0 BTYPE=00, LEN=0, NLEN=0xffff), a final one, and the
			// trailer of an empty stream (CRC-32 0, size 0).
			if _, err := w.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}); err != nil {
				return err
			}
			empty := bytes.Repeat([]byte{0, 0, 0, 0xff, 0xff}, 64<<10)
			for n := 0; n < blocks; n += 64 << 10 {
				if _, err := w.Write(empty); err != nil {
					return err
				}
			}
			_, err := w.Write([]byte{1, 0, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
			return err
		})
		return e.send(b, http.MethodPost, ep+"api/v1/gems", "application/octet-stream", gem)
	})
}

// nupkgPush is dotnet nuget push of a .nupkg holding only {id}.nuspec,
// streamed from nuspec and deflated without compression (so all of it
// crosses the wire).
func (e limitsEnv) nupkgPush(b *testing.B, ep, id string, nuspec io.Reader) (int, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(func() error {
			part, err := mw.CreateFormFile("package", "package.nupkg")
			if err != nil {
				return err
			}
			zw := zip.NewWriter(part)
			zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.NoCompression) })
			f, err := zw.Create(id + ".nuspec")
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, nuspec); err != nil {
				return err
			}
			if err := zw.Close(); err != nil {
				return err
			}
			return mw.Close()
		}())
	}()
	return e.send(b, http.MethodPut, ep+"api/v2/package", mw.FormDataContentType(), pr)
}

// BenchmarkNuGetHugeNuspec: dotnet nuget push of a .nupkg whose .nuspec has a
// 300 MiB description. Limit: a .nuspec is at most 1 MiB (fixed) → 400
// (invalid package).
func BenchmarkNuGetHugeNuspec(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatNuget)
	measureAnswer(b, http.StatusBadRequest, "the .nuspec is larger than 1048576 bytes", func(i int) (int, string) {
		head := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Huge</id><version>1.0.%d</version><authors>a</authors><description>`, i)
		return e.nupkgPush(b, ep, "Huge", io.MultiReader(strings.NewReader(head), &fillReader{'d', hugeMeta}, strings.NewReader(`</description></metadata></package>`)))
	})
}

// BenchmarkNuGetNuspecManyDependencies: a .nuspec just under its 1 MiB limit
// made of <dependency id="A"/> elements (52,000). Measures what reading it
// costs; past MaxNuspecDependencies (10,000) the push is refused (400).
func BenchmarkNuGetNuspecManyDependencies(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatNuget)
	measureAnswer(b, http.StatusBadRequest, "more than 10000", func(i int) (int, string) {
		head := fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?><package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd"><metadata><id>Many</id><version>1.0.%d</version><authors>a</authors><description>d</description><dependencies>`, i)
		return e.nupkgPush(b, ep, "Many", padded(1<<20-64, head, `<dependency id="A"/>`, ``, `</dependencies></metadata></package>`))
	})
}

// BenchmarkSwiftHugeMetadata: swift package-registry publish of a valid
// source archive followed by a 300 MiB `metadata` part. Limit: 256 KiB
// (fixed) → 413 at the first byte over it.
func BenchmarkSwiftHugeMetadata(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatSwift)
	var archive bytes.Buffer
	zw := zip.NewWriter(&archive)
	w, _ := zw.Create("huge/Package.swift")
	_, _ = io.WriteString(w, "// swift-tools-version:5.7\nimport PackageDescription\nlet package = Package(name: \"huge\")\n")
	_ = zw.Close()
	const boundary = "wharfbenchboundary"
	measureAnswer(b, http.StatusRequestEntityTooLarge, "the metadata part is larger than 262144 bytes", func(i int) (int, string) {
		body := io.MultiReader(
			strings.NewReader("--"+boundary+"\r\nContent-Disposition: form-data; name=\"source-archive\"\r\nContent-Type: application/zip\r\n\r\n"),
			bytes.NewReader(archive.Bytes()),
			strings.NewReader("\r\n--"+boundary+"\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{\"description\":\""),
			&fillReader{'d', hugeMeta},
			strings.NewReader("\"}\r\n--"+boundary+"--\r\n"))
		return e.send(b, http.MethodPut, fmt.Sprintf("%smona/huge/1.0.%d", ep, i), "multipart/form-data; boundary="+boundary, body,
			"Accept", "application/vnd.swift.registry.v1+json")
	})
}

// BenchmarkMavenHugePOM: mvn deploy of a 300 MiB POM (a description). The
// handler parses a deployed POM in memory; limit --maven-max-pom-bytes
// 16 MiB → 413.
func BenchmarkMavenHugePOM(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatMaven)
	measureAnswer(b, http.StatusRequestEntityTooLarge, "POM: content exceeds the limit of 16777216 bytes", func(i int) (int, string) {
		v := fmt.Sprintf("1.0.%d", i)
		head := `<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>huge</artifactId><version>` + v + `</version><description>`
		body := io.MultiReader(strings.NewReader(head), &fillReader{'d', hugeMeta}, strings.NewReader(`</description></project>`))
		return e.send(b, http.MethodPut, ep+"com/example/huge/"+v+"/huge-"+v+".pom", "application/xml", body)
	})
}

// padded streams prefix, as many copies of item as fit, last, suffix, then
// spaces to exactly n bytes: a document at its limit made of tiny values,
// which decoding turns into many structs.
func padded(n int, prefix, item, last, suffix string) io.Reader {
	k := (n - len(prefix) - len(last) - len(suffix)) / len(item)
	pad := n - len(prefix) - k*len(item) - len(last) - len(suffix)
	return io.MultiReader(strings.NewReader(prefix), &repeatReader{item: item, n: k}, strings.NewReader(last+suffix), &fillReader{' ', int64(pad)})
}

// repeatReader yields item n times without holding the copies.
type repeatReader struct {
	item string
	n    int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	w := 0
	for w < len(p) && r.n > 0 {
		c := copy(p[w:], r.item[r.off:])
		w += c
		if r.off += c; r.off == len(r.item) {
			r.off, r.n = 0, r.n-1
		}
	}
	if w == 0 {
		return 0, io.EOF
	}
	return w, nil
}

// BenchmarkCargoMetadataManyDeps: a cargo publish whose JSON part is exactly
// at --cargo-max-metadata-bytes (8 MiB) and is nothing but empty dependency
// objects (`{},` 2.8 million times): within the size limit, refused by
// cargo.MaxMetaTokens (100,000 JSON values) before it is decoded → 413.
// (Before that bound it was decoded whole, then refused by the
// 1,000-dependency limit with 400.)
func BenchmarkCargoMetadataManyDeps(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatCargo)
	const limit = 8 << 20
	measureAnswer(b, http.StatusRequestEntityTooLarge, "more than 100000 JSON values", func(i int) (int, string) {
		meta := padded(limit, fmt.Sprintf(`{"name":"many","vers":"1.0.%d","features":{},"deps":[`, i), `{},`, `{}`, `]}`)
		return e.send(b, http.MethodPut, ep+"api/v1/crates/new", "application/octet-stream", cargoPublish(limit, meta))
	})
}

// BenchmarkMavenPOMManyDependencies: a POM exactly at --maven-max-pom-bytes
// (16 MiB) that is nothing but empty <dependency/> elements (1.3 million):
// refused by maven.MaxPomListItems (10,000) while it is decoded → 413.
// (Before that bound it was accepted, 201, with every dependency stored.)
func BenchmarkMavenPOMManyDependencies(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatMaven)
	const limit = 16 << 20
	measureAnswer(b, http.StatusRequestEntityTooLarge, "more than 10000 dependency elements", func(i int) (int, string) {
		v := fmt.Sprintf("1.0.%d", i)
		pom := padded(limit, `<?xml version="1.0"?><project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>many</artifactId><version>`+v+`</version><dependencies>`, `<dependency/>`, ``, `</dependencies></project>`)
		return e.send(b, http.MethodPut, ep+"com/example/many/"+v+"/many-"+v+".pom", "application/xml", pom)
	})
}

// BenchmarkMavenPOMManyAttributes: a POM at --maven-max-pom-bytes whose
// <project> element carries 3 million empty attributes, which encoding/xml
// holds together as one start element: refused by maven.MaxXMLAttributes
// (100,000) before it is parsed → 413. (Before that bound it was parsed
// whole and accepted, 201.)
func BenchmarkMavenPOMManyAttributes(b *testing.B) {
	e := newLimitsEnv(b)
	ep := e.endpoint(b, types.PackageFormatMaven)
	const limit = 16 << 20
	measureAnswer(b, http.StatusRequestEntityTooLarge, "more than 100000 attributes", func(i int) (int, string) {
		v := fmt.Sprintf("1.0.%d", i)
		pom := padded(limit, `<?xml version="1.0"?><project`, ` a=""`, ``, `><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>attrs</artifactId><version>`+v+`</version></project>`)
		return e.send(b, http.MethodPut, ep+"com/example/attrs/"+v+"/attrs-"+v+".pom", "application/xml", pom)
	})
}

// depsReader yields n distinct npm dependency entries (`"d0000001":"",`).
type depsReader struct {
	i, n int
	buf  []byte
}

func (r *depsReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i < r.n {
		r.buf = fmt.Appendf(r.buf, `"d%07d":"",`, r.i)
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	c := copy(p, r.buf)
	r.buf = r.buf[c:]
	return c, nil
}

// BenchmarkNpmPublishManyDependencies: an npm publish whose version document
// lists 1.1 million dependencies (`"d0000001":""`, 13 bytes each: 14 MiB,
// within --npm-max-metadata-bytes): refused by npm.MaxMetadataValues
// (200,000) before the version document is decoded → 413. (Before that
// bound it was accepted, 200, after 24 s, with every dependency stored.)
func BenchmarkNpmPublishManyDependencies(b *testing.B) {
	e := newRSSEnv(b)
	const deps = 1_100_000
	measureAnswer(b, http.StatusRequestEntityTooLarge, "at most 200000 JSON values", func(i int) (int, string) {
		v := fmt.Sprintf("1.0.%d", i)
		tgz := base64.StdEncoding.EncodeToString([]byte("tarball"))
		head := fmt.Sprintf(`{"name":"many","dist-tags":{"latest":%q},"versions":{%q:{"name":"many","version":%q,"dist":{"tarball":"x"},"dependencies":{`, v, v, v)
		tail := fmt.Sprintf(`"last":""}}},"_attachments":{"many-%s.tgz":{"data":%q}}}`, v, tgz)
		return limitsEnv{auth: e.auth}.send(b, http.MethodPut, e.base+"/many", "application/json", io.MultiReader(strings.NewReader(head), &depsReader{n: deps}, strings.NewReader(tail)))
	})
}
