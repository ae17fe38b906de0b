package maven_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// TestRefusedPutsKeepNoBytes: PUTs refused for reasons knowable before the
// bytes are kept (a conflicting re-PUT, checksum headers that disagree) leave
// no blob behind.
func TestRefusedPutsKeepNoBytes(t *testing.T) {
	srv := apptest.Start(t)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	const dom = "mvnorphans"
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String(dom)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String(dom), Repository: aws.String("releases")}); err != nil {
		t.Fatal(err)
	}
	tokOut, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(dom)})
	if err != nil {
		t.Fatal(err)
	}
	tok := aws.ToString(tokOut.AuthorizationToken)
	ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String(dom), Repository: aws.String("releases"), Format: types.PackageFormatMaven})
	if err != nil {
		t.Fatal(err)
	}
	base := aws.ToString(ep.RepositoryEndpoint) + "dev/wharforph/lib/1.0/"
	put := func(file, body string, hdr map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest("PUT", base+file, strings.NewReader(body))
		req.SetBasicAuth("aws", tok)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	blobOf := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return findFile(t, srv.DataDir, hex.EncodeToString(sum[:]))
	}

	if st := put("lib-1.0.jar", "first", nil); st != http.StatusCreated {
		t.Fatalf("first PUT: %d", st)
	}
	if blobOf("first") == "" {
		t.Fatalf("the accepted file's blob is not under the data directory: the checks below would prove nothing")
	}
	if st := put("lib-1.0.jar", "first", nil); st != http.StatusOK {
		t.Fatalf("identical re-PUT: %d, want 200", st)
	}
	if st := put("lib-1.0.jar", "second", nil); st != http.StatusConflict {
		t.Fatalf("conflicting re-PUT: %d, want 409", st)
	}
	if p := blobOf("second"); p != "" {
		t.Fatalf("the refused re-PUT's bytes were kept at %s", p)
	}
	for hdr, bad := range map[string]string{"X-Checksum-Sha1": strings.Repeat("0", 40), "X-Checksum-Md5": strings.Repeat("0", 32)} {
		body := "bad " + hdr
		if st := put("lib-1.0-sources.jar", body, map[string]string{hdr: bad}); st != http.StatusBadRequest {
			t.Fatalf("PUT with a wrong %s: %d, want 400", hdr, st)
		}
		if p := blobOf(body); p != "" {
			t.Fatalf("the PUT refused for its %s kept its bytes at %s", hdr, p)
		}
	}
	if st := put("lib-1.0-sources.jar", "sources", map[string]string{"X-Checksum-Sha1": sha1hex([]byte("sources"))}); st != http.StatusCreated {
		t.Fatalf("PUT with a matching X-Checksum-Sha1: %d", st)
	}
}
