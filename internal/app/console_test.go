package app_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
	"github.com/chromedp/chromedp"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// chromium finds Debian's chromium (scripts/install-deps.sh installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the console test needs Chromium: apt-get install chromium (scripts/install-deps.sh)")
	return ""
}

// saveScreenshot keeps a screenshot as a test artifact: in $WHARF_TEST_ARTIFACTS
// when set, else the test's temporary directory; WHARF_UPDATE_DOCS=1 also
// refreshes the one in docs/.
func saveScreenshot(t *testing.T, name string, png []byte) {
	dir := os.Getenv("WHARF_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
	if os.Getenv("WHARF_UPDATE_DOCS") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConsoleInChromium signs in to the console in headless Chromium, walks
// from the domain's upstream graph to a package ingested through an external
// connection and sees its origin, hashes and audit trail.
func TestConsoleInChromium(t *testing.T) {
	exe := chromium(t)
	up := startNpmUpstream(t, map[string][]string{"left-pad": {"1.0.0", "1.1.0"}})
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:npmjs": up.URL()}})
	ctx := context.Background()
	ca := srv.CodeArtifact()
	must(ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("acme")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), Description: aws.String("proxy of the public registry")}))
	must(ca.AssociateExternalConnection(ctx, &codeartifact.AssociateExternalConnectionInput{Domain: aws.String("acme"), Repository: aws.String("npm-store"), ExternalConnection: aws.String("public:npmjs")}))
	must(ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("acme"), Repository: aws.String("app"),
		Upstreams: []types.UpstreamRepository{{RepositoryName: aws.String("npm-store")}}}))
	base := "/acme-" + apptest.Account + "/npm/app/"
	if status, body := npmGet(t, srv, "acme", base+"left-pad/-/left-pad-1.1.0.tgz"); status != http.StatusOK {
		t.Fatalf("install: %d %s", status, body)
	}
	tgzSHA := sha(up.tarballs["left-pad-1.1.0.tgz"])

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	bctx, cancelT := context.WithTimeout(bctx, 2*time.Minute) // a safety net, not a timing assertion
	defer cancelT()

	var text string
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// Without a session a console page shows the sign-in form, not data.
	run("open a domain page signed out", chromedp.Navigate(srv.URL+"/console/d/"+apptest.Account+"/acme/"),
		chromedp.WaitVisible("#signin", chromedp.ByID), chromedp.Text("main", &text, chromedp.ByQuery))
	if strings.Contains(text, "npm-store") {
		t.Fatalf("signed-out page shows data: %q", text)
	}
	run("wrong secret", chromedp.SetValue("#access_key_id", apptest.AccessKeyID, chromedp.ByID),
		chromedp.SetValue("#secret_access_key", "wrong", chromedp.ByID), chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible("#signin-error", chromedp.ByID))
	run("sign in", chromedp.SetValue("#access_key_id", apptest.AccessKeyID, chromedp.ByID),
		chromedp.SetValue("#secret_access_key", apptest.SecretAccessKey, chromedp.ByID), chromedp.Click("#signin", chromedp.ByID),
		chromedp.WaitVisible("#domains", chromedp.ByID))
	run("open the domain", chromedp.Click(`//a[text()="acme"]`, chromedp.BySearch), chromedp.WaitVisible("#graph", chromedp.ByID),
		chromedp.Text("#graph", &text, chromedp.ByID))
	if !strings.Contains(text, "app") || !strings.Contains(text, "npm-store") || !strings.Contains(text, "public:npmjs") {
		t.Fatalf("upstream graph: %q", text)
	}
	run("connection instructions", chromedp.Text("main", &text, chromedp.ByQuery))
	if !strings.Contains(text, "aws codeartifact login --tool npm --domain acme --domain-owner "+apptest.Account+" --repository app --endpoint-url "+srv.URL) {
		t.Fatalf("no npm login command on the domain page:\n%s", text)
	}
	var png []byte
	run("screenshot the domain", chromedp.FullScreenshot(&png, 100))
	saveScreenshot(t, "console-domain.png", png)

	run("open the repository", chromedp.Click(`//table[@id="repositories"]//a[text()="npm-store"]`, chromedp.BySearch), chromedp.WaitVisible("#packages", chromedp.ByID))
	run("open the package", chromedp.Click(`//a[text()="left-pad"]`, chromedp.BySearch), chromedp.WaitVisible("#audit", chromedp.ByID),
		chromedp.Text("#audit", &text, chromedp.ByID))
	if !strings.Contains(text, "IngestPackageVersion") || !strings.Contains(text, "from public:npmjs ("+up.URL().String()+")") || !strings.Contains(text, tgzSHA) {
		t.Fatalf("audit trail: %q", text)
	}
	run("screenshot the package", chromedp.FullScreenshot(&png, 100))
	saveScreenshot(t, "console-package.png", png)
	run("open the version", chromedp.Click(`//a[text()="1.1.0"]`, chromedp.BySearch), chromedp.WaitVisible("#origin", chromedp.ByID),
		chromedp.Text("#origin", &text, chromedp.ByID))
	if !strings.Contains(text, "EXTERNAL via external connection public:npmjs") {
		t.Fatalf("origin: %q", text)
	}
	run("assets", chromedp.Text("#assets", &text, chromedp.ByID))
	if !strings.Contains(text, tgzSHA) {
		t.Fatalf("assets: %q", text)
	}
}
