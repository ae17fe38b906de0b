package npm

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/packages"
)

// countingReader counts what the parser pulled from the body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestParsePublishStopsAtTheMetadataLimit: a readme (or any value) that never
// ends is refused once the metadata budget is spent, having read at most the
// budget plus one buffer — memory is bounded by the limit, not the body.
func TestParsePublishStopsAtTheMetadataLimit(t *testing.T) {
	for _, prefix := range []string{`{"name":"p","readme":"`, `{"versions":{"1.0.0":{"x":[`, `{"x":1234`} {
		cr := &countingReader{r: io.MultiReader(strings.NewReader(prefix), endless{})}
		lim := Limits{MaxMetadataBytes: 1 << 20}
		_, err := ParsePublishLimited(cr, lim, func(string, io.Reader) error { return nil })
		if !apperr.Is(err, apperr.TooLarge) {
			t.Fatalf("%s…: %v, want TooLarge", prefix, err)
		}
		if cr.n > lim.MaxMetadataBytes+128<<10 {
			t.Fatalf("%s…: read %d bytes for a %d-byte limit", prefix, cr.n, lim.MaxMetadataBytes)
		}
	}
}

func TestParsePublishCounts(t *testing.T) {
	att := `{"data":"AAAA"}`
	for name, doc := range map[string]string{
		"two versions":    `{"name":"p","versions":{"1.0.0":{},"2.0.0":{}}}`,
		"two attachments": `{"name":"p","_attachments":{"a.tgz":` + att + `,"b.tgz":` + att + `}}`,
		"readme":          `{"name":"p","readme":"` + strings.Repeat("r", 2000) + `"}`,
	} {
		_, err := ParsePublishLimited(strings.NewReader(doc), Limits{MaxReadmeBytes: 1000}, func(_ string, r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if !apperr.Is(err, apperr.TooLarge) {
			t.Errorf("%s: %v, want TooLarge", name, err)
		}
	}
}

func TestCheckDist(t *testing.T) {
	good := []Dist{
		{},
		{Integrity: "sha512-" + strings.Repeat("A", 86) + "=="},
		{Integrity: "sha1-" + strings.Repeat("A", 27) + "= sha999-AAAA"}, // unknown algorithms are allowed beside a known one
		{Shasum: strings.Repeat("a", 40)},
	}
	for _, d := range good {
		if err := CheckDist(d); err != nil {
			t.Errorf("%+v: %v", d, err)
		}
	}
	bad := []Dist{
		{Integrity: "sha512-!!!"},
		{Integrity: "garbage"},
		{Integrity: "sha512-AAAA"},   // wrong length
		{Integrity: "md5-AAAAAAAA="}, // nothing checkable
		{Integrity: "-AAAA"},
		{Shasum: "xyz"},
		{Shasum: strings.Repeat("a", 39)},
	}
	for _, d := range bad {
		if err := CheckDist(d); err == nil {
			t.Errorf("%+v accepted", d)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	s := "héllo" // é is two bytes
	for max, want := range map[int64]string{0: "", 1: "h", 2: "h", 3: "hé", 10: "héllo"} {
		if got := truncateUTF8(s, max); got != want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", s, max, got, want)
		}
	}
}

// TestVerifyReaderPassesReadErrors: a stream that fails (a short body's
// io.ErrUnexpectedEOF, a reset) fails through VerifyReader — only a clean end
// is checked against the digest and reported as io.EOF.
func TestVerifyReaderPassesReadErrors(t *testing.T) {
	want, _ := ExpectedDigest(Dist{Shasum: "a9993e364706816aba3e25717850c26c9cd0d89d"}) // sha1("abc")
	if b, err := io.ReadAll(verify(strings.NewReader("abc"), want)); err != nil || string(b) != "abc" {
		t.Fatalf("good stream: %q, %v", b, err)
	}
	short := io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := io.ReadAll(verify(short, want)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short stream: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := io.ReadAll(verify(strings.NewReader("ab"), want)); !errors.Is(err, ErrBadUpstream) {
		t.Fatalf("wrong bytes: %v, want ErrBadUpstream", err)
	}
}

// verify is the engine's verifying reader with npm's expected digest, failing
// with ErrBadUpstream as the pull-through does.
func verify(r io.Reader, want Expected) io.Reader {
	return packages.VerifyReader(r, packages.Digest{Alg: want.Algo, Sum: want.Digest}, func(string) error { return ErrBadUpstream })
}

// TestParsePublishBoundsValues: a body within the byte limit whose fields
// hold more than MaxMetadataValues JSON values (dependencies, dist-tags) is
// refused as too large before they are decoded; a version with 10,000
// dependencies and a readme full of brackets and commas is read.
func TestParsePublishBoundsValues(t *testing.T) {
	entries := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `"d%07d":"",`, i)
		}
		return b.String()
	}
	noData := func(string, io.Reader) error { return nil }
	for name, body := range map[string]string{
		"dependencies": `{"name":"p","versions":{"1.0.0":{"name":"p","version":"1.0.0","dependencies":{` + entries(MaxMetadataValues/2) + `"x":""}}}}`,
		"dist-tags":    `{"name":"p","dist-tags":{` + entries(MaxMetadataValues/2) + `"x":""}}`,
		"across fields": `{"name":"p","dist-tags":{` + entries(MaxMetadataValues/4) + `"x":""},"versions":{"1.0.0":{"dependencies":{` +
			entries(MaxMetadataValues/4) + `"x":""}}}}`,
	} {
		_, err := ParsePublish(strings.NewReader(body), noData)
		if !apperr.Is(err, apperr.TooLarge) || !strings.Contains(err.Error(), "JSON values") {
			t.Errorf("%s: %v", name, err)
		}
	}
	readme := strings.Repeat(`{[,:\"`, MaxMetadataValues)
	body := `{"name":"p","readme":"` + readme + `","versions":{"1.0.0":{"name":"p","version":"1.0.0","dependencies":{` + entries(10_000) + `"x":""}}}}`
	p, err := ParsePublishLimited(strings.NewReader(body), Limits{MaxReadmeBytes: 2 << 20}, noData)
	if err != nil || len(p.Versions) != 1 || len(p.Readme) != len(readme)-MaxMetadataValues {
		t.Fatalf("10,000 dependencies: %v", err)
	}
}
