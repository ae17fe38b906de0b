package swift_test

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestSwiftAWSLogin: `aws codeartifact login --tool swift` (the aws CLI of
// this machine, --dry-run: there is no swift to run) gets wharf's endpoint,
// and what it configures works: on Linux it writes
// `machine HOST login token password TOKEN` to ~/.netrc and runs
// `swift package-registry set ENDPOINT` and
// `swift package-registry login ENDPOINTlogin`, so SwiftPM sends the token as
// the Basic password and POSTs to login.
func TestSwiftAWSLogin(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is not installed (scripts/install-deps.sh installs it)")
	}
	srv := apptest.Start(t)
	const dom = "swiftlogin"
	ca := srv.Setup(t, dom, []string{"repo"}, nil, nil)
	ep := apptest.Endpoint(t, ca, dom, "repo", types.PackageFormatSwift)

	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "AWS_ACCESS_KEY_ID="+apptest.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+apptest.SecretAccessKey,
		"AWS_DEFAULT_REGION="+apptest.Region, "AWS_CONFIG_FILE="+home+"/none", "AWS_SHARED_CREDENTIALS_FILE="+home+"/none")
	cmd := exec.Command("aws", "codeartifact", "login", "--tool", "swift", "--domain", dom, "--repository", "repo",
		"--namespace", "mona", "--dry-run", "--endpoint-url", srv.URL)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws codeartifact login --tool swift: %v\n%s", err, out)
	}
	s := string(out)
	u, _ := url.Parse(ep)
	m := regexp.MustCompile(`machine ` + regexp.QuoteMeta(u.Hostname()) + ` login token password (\S+)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no netrc entry for %s in:\n%s", u.Hostname(), s)
	}
	tok := m[1]
	for _, want := range []string{"swift package-registry set " + ep + " --scope mona", "swift package-registry login " + ep + "login"} {
		if !strings.Contains(s, want) {
			t.Errorf("login output lacks %q:\n%s", want, s)
		}
	}

	// What SwiftPM then does with that configuration.
	login, _ := http.NewRequest(http.MethodPost, ep+"login", nil)
	login.SetBasicAuth("token", tok)
	if r := do(t, login); r.Status != http.StatusOK {
		t.Errorf("login with the netrc credentials: %d %s", r.Status, r.Body)
	}
	login, _ = http.NewRequest(http.MethodPost, ep+"login", nil)
	login.SetBasicAuth("token", "not-the-token")
	if r := do(t, login); r.Status != http.StatusUnauthorized {
		t.Errorf("login with a wrong token: %d %s", r.Status, r.Body)
	}
	pub := publish(t, ep, tok, "mona", "LinkedList", "1.0.0", sourceArchive(t, "mona.LinkedList", "Package.swift", manifest), "")
	if pub.Status != http.StatusCreated {
		t.Fatalf("publish: %d %s", pub.Status, pub.Body)
	}
	req, _ := http.NewRequest(http.MethodGet, ep+"mona/LinkedList", nil)
	req.SetBasicAuth("token", tok)
	req.Header.Set("Accept", acceptJSON)
	if r := do(t, req); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"1.0.0"`) {
		t.Errorf("releases with Basic auth: %d %s", r.Status, r.Body)
	}
}
