package cargo_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
)

func cargoBin(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CARGO"), "/root/.cargo/bin/cargo"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	p, err := exec.LookPath("cargo")
	if err != nil {
		t.Fatal("cargo is not installed (scripts/install-deps.sh installs it)")
	}
	return p
}

func setup(t *testing.T, srv *apptest.Server, domain string, repos []string, upstreams map[string][]string, external map[string]string) *codeartifact.Client {
	t.Helper()
	return srv.Setup(t, domain, repos, upstreams, external)
}

func token(t *testing.T, ca *codeartifact.Client, domain string) string {
	t.Helper()
	return apptest.Token(t, ca, domain)
}

func endpoint(t *testing.T, ca *codeartifact.Client, domain, repo string) string {
	t.Helper()
	return apptest.Endpoint(t, ca, domain, repo, types.PackageFormatCargo)
}

// cargoEnv is a cargo home with one registry per wharf repository, each
// authenticated with the CodeArtifact token as cargo's docs for CodeArtifact
// configure it (cargo:token, the token in CARGO_REGISTRIES_<NAME>_TOKEN).
type cargoEnv struct {
	t    *testing.T
	bin  string
	home string
	env  []string
}

func newCargo(t *testing.T, tok string, registries map[string]string) *cargoEnv {
	home := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("[registry]\nglobal-credential-providers = [\"cargo:token\"]\n[net]\nretry = 0\n")
	env := append(os.Environ(), "CARGO_HOME="+home, "CARGO_TERM_COLOR=never", "CARGO_HTTP_TIMEOUT=60")
	for name, ep := range registries {
		fmt.Fprintf(&cfg, "[registries.%s]\nindex = \"sparse+%s\"\ncredential-provider = \"cargo:token\"\n", name, ep)
		env = append(env, "CARGO_REGISTRIES_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+"_TOKEN=Bearer "+tok)
	}
	if err := os.WriteFile(filepath.Join(home, "config.toml"), []byte(cfg.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return &cargoEnv{t: t, bin: cargoBin(t), home: home, env: env}
}

// run runs cargo in dir and returns its combined output and error.
func (c *cargoEnv) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = dir
	cmd.Env = append(c.env, "CARGO_TARGET_DIR="+filepath.Join(dir, "target"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (c *cargoEnv) must(dir string, args ...string) string {
	c.t.Helper()
	out, err := c.run(dir, args...)
	if err != nil {
		c.t.Fatalf("cargo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// clearCache removes what cargo keeps of registries (index cache, downloaded
// and unpacked crates), so the next build asks wharf for everything.
func (c *cargoEnv) clearCache() {
	if err := os.RemoveAll(filepath.Join(c.home, "registry")); err != nil {
		c.t.Fatal(err)
	}
}

// project writes a cargo package: Cargo.toml with deps (already TOML lines)
// and a src file.
func project(t *testing.T, name, version, kind string, deps []string, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := fmt.Sprintf("[package]\nname = %q\nversion = %q\nedition = \"2021\"\ndescription = \"%s for wharf's cargo tests\"\nlicense = \"MIT\"\nreadme = \"README.md\"\n\n[dependencies]\n%s\n",
		name, version, name, strings.Join(deps, "\n"))
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte("# "+name+"\n\nThe readme of "+name+".\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Cargo.toml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	file := "src/lib.rs"
	if kind == "bin" {
		file = "src/main.rs"
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// crateBytes builds a .crate as cargo package does (enough of it for cargo to
// build from): NAME-VERSION/Cargo.toml and src/lib.rs.
func crateBytes(t *testing.T, name, version, lib string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct{ name, body string }{
		{"Cargo.toml", fmt.Sprintf("[package]\nname = %q\nversion = %q\nedition = \"2021\"\n", name, version)},
		{"src/lib.rs", lib},
	} {
		_ = tw.WriteHeader(&tar.Header{Name: name + "-" + version + "/" + f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(f.body))
	}
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// fixture is a public crate registry: a sparse index on one server whose
// config.json sends downloads to a second server (as crates.io's index sends
// them to another host).
type fixture struct {
	index, dl *httptest.Server
	mu        sync.Mutex
	files     map[string]string // index path → index file
	crates    map[string][]byte // "name/version" → bytes served
	downloads int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{files: map[string]string{}, crates: map[string][]byte{}}
	f.dl = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		b, ok := f.crates[strings.TrimPrefix(r.URL.Path, "/files/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		f.downloads++
		_, _ = w.Write(b)
	}))
	f.index = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		p := strings.TrimPrefix(r.URL.Path, "/index/")
		if p == "config.json" {
			fmt.Fprintf(w, `{"dl":"%s/files/{crate}/{version}","api":"%s"}`, f.dl.URL, f.dl.URL)
			return
		}
		body, ok := f.files[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) stop() { f.index.Close(); f.dl.Close() }

// add publishes a crate in the fixture; served replaces the bytes the
// download server sends (for a checksum mismatch).
func (f *fixture) add(t *testing.T, name, version, lib string, served []byte) {
	b := crateBytes(t, name, version, lib)
	e := cargofmt.Entry{Name: name, Vers: version, Cksum: sha(b)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[cargofmt.IndexPath(name)] += string(cargofmt.RenderIndex([]cargofmt.Entry{e}))
	if served != nil {
		b = served
	}
	f.crates[name+"/"+version] = b
}

// blobExists reports whether a blob with these bytes' sha256 is under dir.
func blobExists(dir string, b []byte) bool {
	name := sha(b)
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), name) {
			found = true
		}
		return nil
	})
	return found
}
