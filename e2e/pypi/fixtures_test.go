package pypi_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// dist describes a tiny pure-Python distribution built by the test.
type dist struct {
	Name     string // project name as written (e.g. "Wharf_Demo")
	Version  string
	Requires []string // Requires-Dist lines
	Module   string   // importable module name
	Value    string   // the module's VALUE constant
}

func (d dist) metadata() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s test package\nRequires-Python: >=3.7\nLicense: MIT\n", d.Name, d.Version, d.Name)
	for _, r := range d.Requires {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	return b.String()
}

func (d dist) distName() string {
	return strings.ReplaceAll(strings.ReplaceAll(d.Name, "-", "_"), ".", "_")
}

// wheel builds NAME-VERSION-py3-none-any.whl: a zip with the module, METADATA,
// WHEEL and a RECORD that lists every file's hash (PEP 427).
func (d dist) wheel(t *testing.T, dir string) string {
	t.Helper()
	info := d.distName() + "-" + d.Version + ".dist-info"
	files := []struct{ name, body string }{
		{d.Module + "/__init__.py", fmt.Sprintf("VALUE = %q\n", d.Value)},
		{info + "/METADATA", d.metadata()},
		{info + "/WHEEL", "Wheel-Version: 1.0\nGenerator: wharf-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(f.body))
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	record.WriteString(info + "/RECORD,,\n")
	w, _ := zw.Create(info + "/RECORD")
	_, _ = w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, d.distName()+"-"+d.Version+"-py3-none-any.whl")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sdist builds NAME-VERSION.tar.gz with PKG-INFO (what twine reads) and a setup.py.
func (d dist) sdist(t *testing.T, dir string) string {
	t.Helper()
	root := d.distName() + "-" + d.Version
	files := []struct{ name, body string }{
		{root + "/PKG-INFO", d.metadata()},
		{root + "/setup.py", fmt.Sprintf("from setuptools import setup\nsetup(name=%q, version=%q, packages=[%q])\n", d.Name, d.Version, d.Module)},
		{root + "/" + d.Module + "/__init__.py", fmt.Sprintf("VALUE = %q\n", d.Value)},
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		_, _ = tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, root+".tar.gz")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// need skips nothing: a missing client is a failure, since .ci/run installs them.
func need(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", b, err)
		}
	}
}

// env is a client environment: HOME in a temp dir so `aws codeartifact login`
// and pip/twine write and read their config there only.
type env struct {
	home string
	vars []string
}

func newEnv(t *testing.T, srv *apptest.Server) *env {
	home := t.TempDir()
	vars := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"PATH=" + os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID=" + apptest.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + apptest.SecretAccessKey,
		"AWS_REGION=" + apptest.Region,
		"AWS_DEFAULT_REGION=" + apptest.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_INPUT=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"NO_PROXY=127.0.0.1,localhost",
	}
	if pr := os.Getenv("PYENV_ROOT"); pr != "" {
		vars = append(vars, "PYENV_ROOT="+pr)
	}
	return &env{home: home, vars: vars}
}

func (e *env) run(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = e.vars
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *env) must(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := e.run(t, dir, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// setup creates a domain and repositories; upstreams maps a repository to its
// upstream repositories, external to its external connection.
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
	return apptest.Endpoint(t, ca, domain, repo, types.PackageFormatPypi)
}
