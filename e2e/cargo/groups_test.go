package cargo_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
	cargofmt "github.com/wharf-dev/wharf/internal/formats/cargo"
)

// TestCargoPackageGroups: the engine's origin rules hold for crates: a group
// blocking external upstreams keeps the public crate out of the index and the
// downloads while a private publish of the name goes through; a group
// blocking publish makes cargo publish fail with the reason.
func TestCargoPackageGroups(t *testing.T) {
	fx := newFixture(t)
	fx.add(t, "extgrp", "1.0.0", "", nil)
	idx, _ := url.Parse(fx.index.URL + "/index/")
	srv := apptest.Start(t, apptest.Options{Upstreams: map[string]*url.URL{"public:crates-io": idx}})
	const dom = "cargogroups"
	ca := setup(t, srv, dom, []string{"store", "app"}, map[string][]string{"app": {"store"}}, map[string]string{"store": "public:crates-io"})
	ctx := context.Background()
	block := types.PackageGroupOriginRestrictionModeBlock
	for pattern, mode := range map[string]string{"/cargo//extgrp$": "EXTERNAL_UPSTREAM", "/cargo//frozen$": "PUBLISH"} {
		if _, err := ca.CreatePackageGroup(ctx, &codeartifact.CreatePackageGroupInput{Domain: aws.String(dom), PackageGroup: aws.String(pattern)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ca.UpdatePackageGroupOriginConfiguration(ctx, &codeartifact.UpdatePackageGroupOriginConfigurationInput{Domain: aws.String(dom),
			PackageGroup: aws.String(pattern), Restrictions: map[string]types.PackageGroupOriginRestrictionMode{mode: block}}); err != nil {
			t.Fatal(err)
		}
	}
	raw := token(t, ca, dom)
	tok := "Bearer " + raw
	ep := endpoint(t, ca, dom, "app")
	if st, body := get(t, ep+cargofmt.IndexPath("extgrp"), tok); st != http.StatusNotFound {
		t.Fatalf("index of a crate whose group blocks external upstreams: %d %s", st, body)
	}
	if st, _ := get(t, ep+"api/v1/crates/extgrp/1.0.0/download", tok); st == http.StatusOK {
		t.Fatal("download of a crate whose group blocks external upstreams succeeded")
	}
	if fx.downloads != 0 {
		t.Fatalf("the fixture served %d downloads", fx.downloads)
	}
	if st, body := publishRaw(t, ep, tok, cargofmt.EncodePublish(metaJSON("extgrp", "1.0.0"), crateBytes(t, "extgrp", "1.0.0", ""))); st != 200 {
		t.Fatalf("private publish of extgrp: %d %s", st, body)
	}
	cg := newCargo(t, raw, map[string]string{"wharf": ep})
	frozen := project(t, "frozen", "1.0.0", "lib", nil, "")
	out, err := cg.run(frozen, "publish", "--registry", "wharf", "--allow-dirty", "--no-verify")
	if err == nil || !strings.Contains(out, "403") || !strings.Contains(strings.ToLower(out), "publish") {
		t.Fatalf("cargo publish into a group blocking publish: %v\n%s", err, out)
	}
}
