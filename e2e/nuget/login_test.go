package nuget_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestNuGetAWSLogin: what `aws codeartifact login --tool nuget|dotnet`
// configures works against wharf. The aws CLI is real; neither nuget nor
// dotnet runs on these machines, and the CLI first asks the tool for its
// configured sources (`nuget sources list -format detailed`, `dotnet nuget
// list source --format detailed`), so a two-line stand-in on PATH answers
// "No sources found." for that one question — the CLI's own decisions and the
// command it would run are what is checked (--dry-run prints it), then the
// source URL and credentials in that command are used as the tool would use
// them: the service index and a push and restore with Basic auth.
func TestNuGetAWSLogin(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is not installed (scripts/install-deps.sh installs it)")
	}
	srv := apptest.Start(t)
	const dom = "nugetlogin"
	ca := srv.Setup(t, dom, []string{"repo"}, nil, nil)
	ep := apptest.Endpoint(t, ca, dom, "repo", types.PackageFormatNuget)

	home := t.TempDir()
	bin := filepath.Join(home, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"nuget", "dotnet"} {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\necho 'No sources found.'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AWS_ACCESS_KEY_ID="+apptest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+apptest.SecretAccessKey,
		"AWS_DEFAULT_REGION="+apptest.Region, "AWS_CONFIG_FILE="+home+"/none", "AWS_SHARED_CREDENTIALS_FILE="+home+"/none")

	index := ep + "v3/index.json"
	for i, tc := range []struct {
		tool string
		// the source URL and the password in the command the CLI runs
		re *regexp.Regexp
	}{
		{"nuget", regexp.MustCompile(`nuget sources add -name \S+ -source (\S+) -username aws -password (\S+)`)},
		{"dotnet", regexp.MustCompile(`dotnet nuget add source (\S+) --name \S+ --username aws --password (\S+)`)},
	} {
		cmd := exec.Command("aws", "codeartifact", "login", "--tool", tc.tool, "--domain", dom, "--repository", "repo",
			"--dry-run", "--endpoint-url", srv.URL)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws codeartifact login --tool %s: %v\n%s", tc.tool, err, out)
		}
		m := tc.re.FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("login --tool %s printed no source command of the expected shape:\n%s", tc.tool, out)
		}
		if m[1] != index {
			t.Errorf("login --tool %s configures %s, want the service index %s", tc.tool, m[1], index)
		}
		c := &client{t: t, user: "aws", tok: m[2]}
		var si serviceIndex
		if st := c.getJSON(m[1], &si); st != http.StatusOK || si.resource("PackageBaseAddress/3.0.0") == "" {
			t.Fatalf("service index with the %s credentials: %d %+v", tc.tool, st, si)
		}
		version := []string{"1.0.0", "1.0.1"}[i]
		if st, b := c.push(m[1], nupkg(t, "Wharf.Login", version, ""), "az"); st != http.StatusCreated {
			t.Fatalf("push with the %s credentials: %d %s", tc.tool, st, b)
		}
		c.restore(m[1], "Wharf.Login", version)
	}
	// A wrong password is refused.
	bad := &client{t: t, user: "aws", tok: "not-the-token"}
	if st, _, _ := bad.do(http.MethodGet, index, "", nil, nil); st != http.StatusUnauthorized {
		t.Errorf("service index with a wrong token: %d, want 401", st)
	}
}
