package bench

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"

	"github.com/wharf-dev/wharf/internal/apptest"
)

// procStatusKB reads a field of /proc/self/status (VmRSS, VmHWM) in KiB.
func procStatusKB(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skipf("no /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	b.Skipf("no %s in /proc/self/status", field)
	return 0
}

// peakRSSGrowth runs fn and returns how far the process's resident set rose
// above where it was before, in MiB: the kernel's high-water mark (VmHWM,
// reset by writing 5 to /proc/self/clear_refs) minus the RSS at the start.
// It covers the whole process, server and client.
func peakRSSGrowth(b *testing.B, fn func()) float64 {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Skipf("cannot reset the RSS high-water mark: %v", err)
	}
	before := procStatusKB(b, "VmRSS")
	fn()
	return float64(procStatusKB(b, "VmHWM")-before) / 1024
}

type rssEnv struct {
	base, auth string
}

func newRSSEnv(b *testing.B) rssEnv {
	srv := apptest.Start(b)
	ctx := context.Background()
	ca := srv.CodeArtifact()
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("rss")}); err != nil {
		b.Fatal(err)
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("rss"), Repository: aws.String("js")}); err != nil {
		b.Fatal(err)
	}
	ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("rss"), Repository: aws.String("js"), Format: types.PackageFormatNpm})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("rss")})
	if err != nil {
		b.Fatal(err)
	}
	return rssEnv{base: strings.TrimSuffix(aws.ToString(ep.RepositoryEndpoint), "/"), auth: "Bearer " + aws.ToString(tok.AuthorizationToken)}
}

func (e rssEnv) do(b *testing.B, method, path string, body io.Reader) (int, int64) {
	req, err := http.NewRequest(method, e.base+"/"+path, body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", e.auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, _ := io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, n
}

// fillReader yields n bytes of c without holding them.
type fillReader struct {
	c byte
	n int64
}

func (r *fillReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

// publishWithReadme is an npm publish body of name@version whose readme is
// readme bytes long, streamed: the client never holds it.
func publishWithReadme(name, version string, readme int64) io.Reader {
	tgz := base64.StdEncoding.EncodeToString([]byte("tarball " + name + "@" + version))
	head := fmt.Sprintf(`{"name":%q,"dist-tags":{"latest":%q},"versions":{%q:{"name":%q,"version":%q,"dist":{"tarball":"x"}}},"_attachments":{%q:{"data":%q}},"readme":"`,
		name, version, version, name, version, name+"-"+version+".tgz", tgz)
	return io.MultiReader(strings.NewReader(head), &fillReader{'r', readme}, strings.NewReader(`"}`))
}

// BenchmarkPublishHugeReadme: an npm publish whose readme is 300 MiB, streamed
// by the client. Reported: the status and the peak RSS growth of the process
// while wharf reads and refuses it (issue 8 measured 17 MiB → 1.9 GiB).
func BenchmarkPublishHugeReadme(b *testing.B) {
	e := newRSSEnv(b)
	const readme = 300 << 20
	for i := 0; b.Loop(); i++ {
		var status int
		peak := peakRSSGrowth(b, func() {
			status, _ = e.do(b, http.MethodPut, "huge", publishWithReadme("huge", fmt.Sprintf("1.0.%d", i), readme))
		})
		b.ReportMetric(float64(status), "status")
		b.ReportMetric(peak, "peak-rss-growth-MiB")
	}
}

// BenchmarkReadersLargeReadme: a package with 20 versions, each published with
// a 1 MiB readme (the default --npm-max-readme-bytes), read by 4 concurrent
// clients fetching the full packument 5 times each. Reported: the peak RSS
// growth while they read (issue 8: four readers of a 100 MiB readme added
// 800 MiB) and the packument size.
func BenchmarkReadersLargeReadme(b *testing.B) {
	e := newRSSEnv(b)
	const versions, readme = 20, 1 << 20
	for i := range versions {
		if st, _ := e.do(b, http.MethodPut, "big-readme", publishWithReadme("big-readme", fmt.Sprintf("1.0.%d", i), readme)); st != http.StatusOK {
			b.Fatalf("publish 1.0.%d: %d", i, st)
		}
	}
	var size int64
	for b.Loop() {
		peak := peakRSSGrowth(b, func() {
			var wg sync.WaitGroup
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 5 {
						st, n := e.do(b, http.MethodGet, "big-readme", nil)
						if st != http.StatusOK {
							b.Errorf("packument: %d", st)
							return
						}
						size = n
					}
				}()
			}
			wg.Wait()
		})
		b.ReportMetric(peak, "peak-rss-growth-MiB")
		b.ReportMetric(float64(size)/(1<<20), "packument-MiB")
	}
}
