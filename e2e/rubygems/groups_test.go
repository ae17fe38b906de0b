package rubygems_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestRubyPackageGroups: the engine's origin rules hold for gems: a group
// blocking external upstreams keeps the public gem out of info/ and the
// downloads while a private push of the name goes through; a group blocking
// publish makes gem push fail with the reason.
func TestRubyPackageGroups(t *testing.T) {
	fx := newFixture(t)
	e := newRuby(t)
	fx.add(t, buildGem(t, e, "extgrp", "1.0.0", 1, nil), nil)
	up, _ := url.Parse(fx.srv.URL + "/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:ruby-gems-org": up}})
	const dom = "gemgroups"
	ca := setup(t, srv, dom, []string{"store", "app"}, map[string][]string{"app": {"store"}}, map[string]string{"store": "public:ruby-gems-org"})
	ctx := context.Background()
	block := types.PackageGroupOriginRestrictionModeBlock
	for pattern, mode := range map[string]string{"/ruby//extgrp$": "EXTERNAL_UPSTREAM", "/ruby//frozen$": "PUBLISH"} {
		if _, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String(dom), PackageGroup: aws.String(pattern)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(dom),
			PackageGroup: aws.String(pattern), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{mode: block}}); err != nil {
			t.Fatal(err)
		}
	}
	tok := token(t, ca, dom)
	ep := endpoint(t, ca, dom, "app")
	if st, body := get(t, ep+"info/extgrp", tok); st != http.StatusNotFound {
		t.Fatalf("info of a gem whose group blocks external upstreams: %d %s", st, body)
	}
	if st, _ := get(t, ep+"gems/extgrp-1.0.0.gem", tok); st == http.StatusOK || fx.downloads != 0 {
		t.Fatalf("download of a gem whose group blocks external upstreams: %d (fixture downloads %d)", st, fx.downloads)
	}
	private, _ := os.ReadFile(buildGem(t, e, "extgrp", "1.0.0", 2, nil))
	if st, body := push(t, ep, tok, private); st != 200 {
		t.Fatalf("private push of extgrp: %d %s", st, body)
	}
	gemCredentials(t, e, tok)
	frozen := buildGem(t, e, "frozen", "1.0.0", 1, nil)
	out, err := e.run(filepath.Dir(frozen), "gem", "push", "--host", strings.TrimSuffix(ep, "/"), "--key", "codeartifact_api_key", frozen)
	if err == nil || !strings.Contains(out, "blocked by package group") {
		t.Fatalf("gem push into a group blocking publish: %v\n%s", err, out)
	}
}
