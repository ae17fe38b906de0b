package rubygems_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	"github.com/wharf-dev/wharf/internal/config"
)

func push(t *testing.T, ep, tok string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ep+"api/v1/gems", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return buf.Bytes()
}

// rewrap rebuilds a gem with its metadata edited and its data replaced
// (checksums.yaml.gz dropped, as old gems have none).
func rewrap(t *testing.T, gem []byte, editMeta func([]byte) []byte, data []byte) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(gem))
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		switch h.Name {
		case "metadata.gz":
			zr, _ := gzip.NewReader(bytes.NewReader(b))
			m, _ := io.ReadAll(zr)
			b = gz(editMeta(m))
		case "data.tar.gz":
			if data != nil {
				b = data
			}
		case "checksums.yaml.gz":
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Name: h.Name, Mode: 0o444, Size: int64(len(b)), Typeflag: tar.TypeReg})
		_, _ = tw.Write(b)
	}
	_ = tw.Close()
	return buf.Bytes()
}

func dataTar(name string, size int64) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a GiB of zeros in seconds, about 1.4 MiB
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg})
	chunk := make([]byte, 1<<20)
	for left := size; left > 0; left -= int64(len(chunk)) {
		n := min(left, int64(len(chunk)))
		_, _ = tw.Write(chunk[:n])
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// TestRubyBadInput: what a client can send to gem push and the read paths is
// refused with a clear message, and nothing is kept.
func TestRubyBadInput(t *testing.T) {
	srv := apptest.Start(t, apptest.Options{Mutate: func(c *config.Config) { c.MaxPublishBytes = 4 << 20 }})
	const dom = "gembad"
	ca := setup(t, srv, dom, []string{"repo"}, nil, nil)
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "repo")
	e := newRuby(t)
	good, _ := os.ReadFile(buildGem(t, e, "Foo_Bar", "1.0.0", 1, nil))
	rename := func(from, to string) func([]byte) []byte {
		return func(m []byte) []byte { return bytes.Replace(m, []byte(from), []byte(to), 1) }
	}
	same := func(m []byte) []byte { return m }
	bomb := rewrap(t, good, same, dataTar("zeros", 1100<<20)) // 1.1 GiB of zeros in about 1.4 MiB
	cases := []struct {
		name string
		body []byte
		want int
		kept []byte
	}{
		{"not a gem", []byte("PK\x03\x04 a zip claiming to be a gem"), 400, nil},
		{"traversal in name", rewrap(t, good, rename("name: Foo_Bar", "name: ../../etc"), nil), 400, nil},
		{"traversal in version", rewrap(t, good, rename("version: 1.0.0", "version: 1.0.0/../../x"), nil), 400, nil},
		{"traversal in data", rewrap(t, good, same, dataTar("../../../etc/cron.d/x", 10)), 400, rewrap(t, good, same, dataTar("../../../etc/cron.d/x", 10))},
		{"tar bomb", bomb, 400, bomb},
		{"oversized", append(rewrap(t, good, same, nil), make([]byte, 5<<20)...), 413, nil},
		{"truncated", good[:len(good)/3], 400, nil},
	}
	for _, c := range cases {
		st, body := push(t, ep, tok, c.body)
		if st != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, st, body, c.want)
		}
		if c.kept != nil && blobExists(srv.DataDir, c.kept) {
			t.Errorf("%s: the refused gem's bytes were kept", c.name)
		}
	}
	// Names colliding after normalization (case, "-" and "_").
	if st, body := push(t, ep, tok, good); st != 200 {
		t.Fatalf("push Foo_Bar: %d %s", st, body)
	}
	for _, n := range []string{"foo_bar", "Foo-Bar", "FOO-BAR"} {
		g := rewrap(t, good, rename("name: Foo_Bar", "name: "+n), nil)
		if st, body := push(t, ep, tok, g); st != http.StatusConflict {
			t.Errorf("push %s after Foo_Bar: %d %s, want 409", n, st, body)
		}
	}
	if st, body := push(t, ep, tok, good); st != http.StatusConflict {
		t.Errorf("push Foo_Bar 1.0.0 again: %d %s, want 409", st, body)
	}
	for _, p := range []string{"info/..%2f..%2fversions", "gems/..%2f..%2fx-1.0.gem", "gems/Foo_Bar-1.0.0%2f..%2f..%2fx.gem", "quick/Marshal.4.8/..%2fx-1.gemspec.rz", "info/a%00b"} {
		if st, _ := get(t, ep+p, tok); st != http.StatusNotFound && st != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 or 400", p, st)
		}
	}
	if st, _ := push(t, ep, "", good); st != http.StatusUnauthorized {
		t.Errorf("push without a token: %d, want 401", st)
	}
}

// TestRubyYankAndStatuses: gem yank makes the version Unlisted (gone from
// the compact index, still downloadable); Archived is not served.
func TestRubyYankAndStatuses(t *testing.T) {
	srv := apptest.Start(t)
	const dom = "gemstat"
	ca := setup(t, srv, dom, []string{"repo"}, nil, nil)
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "repo")
	e := newRuby(t)
	gemCredentials(t, e, tok)
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		g, _ := os.ReadFile(buildGem(t, e, "stat", v, 1, nil))
		if st, body := push(t, ep, tok, g); st != 200 {
			t.Fatalf("push %s: %d %s", v, st, body)
		}
	}
	e.must(e.home, "gem", "yank", "--host", strings.TrimSuffix(ep, "/"), "--key", "codeartifact_api_key", "stat", "-v", "1.0.0")
	ctx := context.Background()
	if _, err := ca.UpdatePackageVersionsStatus(ctx, &codeartifact.UpdatePackageVersionsStatusInput{Domain: aws.String(dom), Repository: aws.String("repo"),
		Format: types.PackageFormatRuby, Package: aws.String("stat"), Versions: []string{"1.1.0"}, TargetStatus: types.PackageVersionStatusArchived}); err != nil {
		t.Fatal(err)
	}
	d, err := ca.DescribePackageVersion(ctx, &codeartifact.DescribePackageVersionInput{Domain: aws.String(dom), Repository: aws.String("repo"),
		Format: types.PackageFormatRuby, Package: aws.String("stat"), PackageVersion: aws.String("1.0.0")})
	if err != nil || d.PackageVersion.Status != types.PackageVersionStatusUnlisted {
		t.Fatalf("after gem yank: %v %+v", err, d)
	}
	_, info := get(t, ep+"info/stat", tok)
	if strings.Contains(info, "1.0.0 ") || strings.Contains(info, "1.1.0 ") || !strings.Contains(info, "1.2.0 ") {
		t.Fatalf("info: %s", info)
	}
	_, versions := get(t, ep+"versions", tok)
	if !strings.Contains(versions, "stat 1.2.0 ") {
		t.Fatalf("versions: %s", versions)
	}
	if st, _ := get(t, ep+"gems/stat-1.0.0.gem", tok); st != 200 {
		t.Errorf("download of a yanked version: %d, want 200", st)
	}
	if st, _ := get(t, ep+"gems/stat-1.1.0.gem", tok); st != 404 {
		t.Errorf("download of an archived version: %d, want 404", st)
	}
}
