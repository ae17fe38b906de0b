package bench

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/proctest"
)

type zeroBody struct {
	left int64
	read atomic.Int64
}

func (z *zeroBody) Read(p []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > z.left {
		p = p[:z.left]
	}
	clear(p)
	z.left -= int64(len(p))
	z.read.Add(int64(len(p)))
	return len(p), nil
}

// BenchmarkRefusedHugeBody sends 1 GiB publish requests with a bogus signature
// (a known access key id) to a real `wharf serve` process and reports what they
// cost it: peak RSS of the process (VmHWM) over its RSS at start, and how much
// the client could push before the refusal (the server's bounded read plus the
// loopback socket buffers). Correctness is asserted by cmd/wharf's
// TestBogusSignatureOnHugeBodyCostsTheServerNothing; this records the numbers.
func BenchmarkRefusedHugeBody(b *testing.B) {
	p := proctest.Start(b, b.TempDir(), []string{"TMPDIR=" + b.TempDir()})
	base, err := p.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}
	var sent int64
	for b.Loop() {
		body := &zeroBody{left: 1 << 30}
		req, _ := http.NewRequest("POST", p.URL+"/v1/package/version/publish?domain=d&repository=r&format=generic&namespace=n&package=p&version=1&asset=a", body)
		req.ContentLength = 1 << 30
		now := time.Now().UTC()
		req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
		req.Header.Set("X-Amz-Content-Sha256", strings.Repeat("ab", 32))
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+proctest.AccessKeyID+"/"+now.Format("20060102")+
			"/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
		if resp, err := http.DefaultTransport.RoundTrip(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		sent += body.read.Load()
	}
	peak, err := p.PeakRSSKiB()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(base)/1024, "start-rss-MB")
	b.ReportMetric(float64(peak)/1024, "peak-rss-MB")
	b.ReportMetric(float64(sent)/float64(b.N)/1024, "client-sent-KiB/op")
}
