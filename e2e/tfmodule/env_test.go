package tfmodule_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Package tfmodule_test proves the Terraform module in terraform-module-aws-codeartifact:
// statically against the interface it promises (static_test.go), with OpenTofu's
// validation, and end to end by applying its examples against a wharf server.

const moduleDirName = "terraform-module-aws-codeartifact"

// repoRoot walks up from the test's directory to the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory: run the tests inside the wharf repository")
		}
		dir = parent
	}
}

func moduleDir(t *testing.T) string { return filepath.Join(repoRoot(t), moduleDirName) }

// needTools fails the test: a missing tool is a broken setup, not a pass. Only
// an explicit WHARF_SKIP_TOFU=1 (a developer's choice, never CI's) turns it into a skip.
func needTools(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("WHARF_SKIP_TOFU") == "1" {
		t.Skipf("WHARF_SKIP_TOFU=1: %s", msg)
	}
	t.Fatalf("%s\nrun scripts/build-tools.sh and export what it prints (WHARF_TOFU, TF_CLI_CONFIG_FILE), or set WHARF_SKIP_TOFU=1 to skip locally", msg)
}

type toolSet struct {
	tofu    string   // path of tofu (or terraform)
	env     []string // extra environment for every invocation
	problem string   // why no tool was found
}

var (
	toolsOnce sync.Once
	tools     toolSet
)

// findTools picks the binary: $WHARF_TOFU, then tofu on PATH, then the cache that
// scripts/build-tools.sh fills, then terraform on PATH. When the binary is the
// cached build, the provider mirror's CLI config comes with it.
func findTools(t *testing.T) toolSet {
	t.Helper()
	root := repoRoot(t)
	toolsOnce.Do(func() {
		tools = locateTools(root)
	})
	if tools.tofu == "" {
		needTools(t, "%s", tools.problem)
	}
	return tools
}

func locateTools(root string) toolSet {
	pluginCache, err := os.MkdirTemp("", "wharf-tf-plugin-cache-")
	if err != nil {
		return toolSet{problem: err.Error()}
	}
	ts := toolSet{env: []string{
		"TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		// One cache for every example: providers from a registry download once.
		"TF_PLUGIN_CACHE_DIR=" + pluginCache,
	}}
	cached := buildToolsEnv(root)
	if p := os.Getenv("WHARF_TOFU"); p != "" {
		if !isExecutable(p) {
			return toolSet{problem: fmt.Sprintf("WHARF_TOFU=%s is not an executable file", p)}
		}
		ts.tofu = p
	} else if p, err := exec.LookPath("tofu"); err == nil {
		ts.tofu = p
	} else if p := cached["WHARF_TOFU"]; p != "" && isExecutable(p) {
		ts.tofu = p
		if os.Getenv("TF_CLI_CONFIG_FILE") == "" || !fileExists(os.Getenv("TF_CLI_CONFIG_FILE")) {
			if rc := cached["TF_CLI_CONFIG_FILE"]; fileExists(rc) {
				ts.env = append(ts.env, "TF_CLI_CONFIG_FILE="+rc)
			}
		}
	} else if p, err := exec.LookPath("terraform"); err == nil {
		ts.tofu = p
	} else {
		return toolSet{problem: "no OpenTofu: WHARF_TOFU is unset and neither tofu nor terraform is on PATH"}
	}
	return ts
}

// buildToolsEnv asks scripts/build-tools.sh where it caches the tools (--env builds nothing).
func buildToolsEnv(root string) map[string]string {
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "build-tools.sh"), "--env").Output()
	m := map[string]string{}
	if err != nil {
		return m
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// tofuResult is one finished invocation.
type tofuResult struct {
	args   []string
	stdout string
	stderr string
	code   int
}

func (r tofuResult) String() string {
	return fmt.Sprintf("tofu %s (exit %d)\n--- stdout\n%s\n--- stderr\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// runTofu runs the tool in dir and returns whatever happened; callers decide what is a failure.
func runTofu(t *testing.T, ts toolSet, dir string, extraEnv []string, args ...string) tofuResult {
	t.Helper()
	cmd := exec.Command(ts.tofu, args...)
	cmd.Dir = dir
	cmd.Env = append(append(append(os.Environ(), ts.env...), extraEnv...), "TF_LOG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := tofuResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("running %s: %v", ts.tofu, err)
		}
		res.code = ee.ExitCode()
	}
	return res
}

// mustTofu runs the tool and fails the test on a non-zero exit.
func mustTofu(t *testing.T, ts toolSet, dir string, extraEnv []string, args ...string) tofuResult {
	t.Helper()
	r := runTofu(t, ts, dir, extraEnv, args...)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r
}

// initDir runs init; a provider that cannot be installed is reported as a missing tool.
func initDir(t *testing.T, ts toolSet, dir string, extraEnv []string) {
	t.Helper()
	r := runTofu(t, ts, dir, extraEnv, "init", "-no-color", "-input=false")
	if r.code == 0 {
		return
	}
	all := r.stdout + r.stderr
	for _, hint := range []string{"Failed to query available provider packages", "Failed to install provider", "could not connect to registry", "provider registry", "Failed to resolve provider packages"} {
		if strings.Contains(all, hint) {
			needTools(t, "the AWS provider could not be installed in %s:\n%s", dir, all)
		}
	}
	t.Fatalf("%s", r)
}

// copyModule copies the module (with its examples and tests) into a fresh
// temporary directory, so init and state never touch the repository and
// relative module sources (../..) keep working.
func copyModule(t *testing.T) string {
	t.Helper()
	src := moduleDir(t)
	dst := filepath.Join(t.TempDir(), moduleDirName)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		name := d.Name()
		if d.IsDir() && (name == ".terraform" || name == ".terragrunt-cache") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasPrefix(name, "terraform.tfstate") || name == ".terraform.lock.hcl") {
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the module: %v", err)
	}
	return dst
}
