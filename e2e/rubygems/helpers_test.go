package rubygems_test

import (
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
	"github.com/wharf-dev/wharf/internal/formats/rubygems"
)

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
	return apptest.Endpoint(t, ca, domain, repo, types.PackageFormatRuby)
}

func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed (scripts/install-deps.sh installs ruby and bundler)", name)
	}
	return p
}

// rubyEnv is a HOME of its own for gem and bundle.
type rubyEnv struct {
	t    *testing.T
	home string
	env  []string
}

func newRuby(t *testing.T) *rubyEnv {
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8",
		"GEM_HOME=" + filepath.Join(home, "gems"), "GEM_PATH=" + filepath.Join(home, "gems"),
		"BUNDLE_USER_HOME=" + filepath.Join(home, ".bundle"), "BUNDLE_APP_CONFIG=" + filepath.Join(home, ".bundle-app"),
		"BUNDLE_PATH=" + filepath.Join(home, "vendor"), "BUNDLE_RETRY=0", "BUNDLE_TIMEOUT=30", "BUNDLE_SILENCE_ROOT_WARNING=1"}
	return &rubyEnv{t: t, home: home, env: env}
}

func (e *rubyEnv) run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(tool(e.t, name), args...)
	cmd.Dir = dir
	cmd.Env = e.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *rubyEnv) must(dir, name string, args ...string) string {
	e.t.Helper()
	out, err := e.run(dir, name, args...)
	if err != nil {
		e.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// clearCache forgets what Bundler and RubyGems cached and installed.
func (e *rubyEnv) clearCache() {
	for _, d := range []string{".bundle", "vendor", "gems", ".gem", ".local"} {
		if err := os.RemoveAll(filepath.Join(e.home, d)); err != nil {
			e.t.Fatal(err)
		}
	}
}

// buildGem runs gem build on a gem with one module returning value and the
// given runtime dependencies ("name", "req") and returns the .gem's path.
func buildGem(t *testing.T, e *rubyEnv, name, version string, value int, deps [][2]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	mod := strings.ReplaceAll(strings.Title(strings.ReplaceAll(name, "-", " ")), " ", "") //nolint:staticcheck // ASCII names
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	var spec strings.Builder
	fmt.Fprintf(&spec, "Gem::Specification.new do |s|\n  s.name = %q\n  s.version = %q\n  s.summary = %q\n  s.authors = [\"wharf\"]\n  s.license = \"MIT\"\n  s.files = [\"lib/%s.rb\"]\n",
		name, version, name+" for wharf's tests", name)
	for _, d := range deps {
		fmt.Fprintf(&spec, "  s.add_runtime_dependency %q, %q\n", d[0], d[1])
	}
	spec.WriteString("end\n")
	_ = os.WriteFile(filepath.Join(dir, name+".gemspec"), []byte(spec.String()), 0o644)
	var lib strings.Builder
	for _, d := range deps {
		fmt.Fprintf(&lib, "require %q\n", d[0])
	}
	fmt.Fprintf(&lib, "module %s\n  def self.value; %d; end\nend\n", mod, value)
	_ = os.WriteFile(filepath.Join(dir, "lib", name+".rb"), []byte(lib.String()), 0o644)
	e.must(dir, "gem", "build", name+".gemspec")
	return filepath.Join(dir, name+"-"+version+".gem")
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// fixture is a public gem registry serving the compact index and gems.
type fixture struct {
	srv       *httptest.Server
	mu        sync.Mutex
	versions  []string          // versions file lines
	info      map[string]string // name → info file
	gems      map[string][]byte // file → bytes served
	downloads int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{info: map[string]string{}, gems: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		p := strings.TrimPrefix(r.URL.Path, "/")
		switch {
		case p == "versions":
			_, _ = w.Write([]byte("created_at: 2024-01-01T00:00:00Z\n---\n" + strings.Join(f.versions, "")))
		case strings.HasPrefix(p, "info/"):
			b, ok := f.info[strings.TrimPrefix(p, "info/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write([]byte(b))
		case strings.HasPrefix(p, "gems/"):
			b, ok := f.gems[strings.TrimPrefix(p, "gems/")]
			if !ok {
				http.NotFound(w, r)
				return
			}
			f.downloads++
			_, _ = w.Write(b)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// add publishes a built gem in the fixture; served replaces the bytes it
// sends (a checksum mismatch).
func (f *fixture) add(t *testing.T, path string, served []byte) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rubygems.ReadGemBytes(b, rubygems.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	s.SHA256 = sha(b)
	info := string(rubygems.RenderInfo([]rubygems.InfoEntry{s.Entry()}))
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info[s.Name] = info
	f.versions = append(f.versions, fmt.Sprintf("%s %s %s\n", s.Name, s.FullVersion(), rubygems.MD5([]byte(info))))
	if served != nil {
		b = served
	}
	f.gems[filepath.Base(path)] = b
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
