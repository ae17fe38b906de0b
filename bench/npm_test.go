package bench

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// npmPublishDoc is the body `npm publish` PUTs: one version and its tarball.
func npmPublishDoc(name, version string, tarball []byte) string {
	s512 := sha512.Sum512(tarball)
	s1 := sha1.Sum(tarball)
	return fmt.Sprintf(`{"_id":%q,"name":%q,"description":"bench","dist-tags":{"latest":%q},
		"versions":{%q:{"name":%q,"version":%q,"description":"bench","dependencies":{"left-pad":"^1.3.0"},"dist":{"integrity":"sha512-%s","shasum":"%s","tarball":"http://x/y.tgz"}}},
		"readme":"# bench",
		"_attachments":{%q:{"content_type":"application/octet-stream","data":%q,"length":%d}}}`,
		name, name, version, version, name, version, base64.StdEncoding.EncodeToString(s512[:]), hex.EncodeToString(s1[:]),
		name+"-"+version+".tgz", base64.StdEncoding.EncodeToString(tarball), len(tarball))
}

// BenchmarkNpmPackument measures GET of a packument with N versions through the
// npm endpoint, authorized with a CodeArtifact authorization token (Bearer), the
// way `npm install` asks for it. The versions are published first with the npm
// endpoint's PUT (what `npm publish` sends), outside the timer.
func BenchmarkNpmPackument(b *testing.B) {
	srv := apptest.Start(b)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("bench"), Repository: aws.String("js")}); err != nil {
		b.Fatal(err)
	}
	ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("bench"), Repository: aws.String("js"), Format: types.PackageFormatNpm})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	base := strings.TrimSuffix(aws.ToString(ep.RepositoryEndpoint), "/")
	auth := "Bearer " + aws.ToString(tok.AuthorizationToken)
	do := func(method, url, body string) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", auth)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode/100 != 2 {
			err = fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, data)
		}
		return data, err
	}
	tarball := []byte(strings.Repeat("bench tarball bytes ", 100))
	for _, n := range []int{10, 100, 1000} {
		name := fmt.Sprintf("bench-pkg-%d", n)
		for i := range n {
			if _, err := do(http.MethodPut, base+"/"+name, npmPublishDoc(name, fmt.Sprintf("1.0.%d", i), tarball)); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("versions=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				data, err := do(http.MethodGet, base+"/"+name, "")
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(string(data), fmt.Sprintf(`"1.0.%d"`, n-1)) {
					b.Fatalf("packument lacks version 1.0.%d: %.200s", n-1, data)
				}
				size = len(data)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64(size)/1e3, "packument-kB")
		})
	}
}
