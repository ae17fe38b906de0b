package main

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/proctest"
)

// zeros is an endless-enough body of n zero bytes that counts what was taken.
type zeros struct {
	left int64
	read atomic.Int64
}

func (z *zeros) Read(p []byte) (int, error) {
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

// A 1 GiB request with a bogus signature from a known access key id, against a
// real `wharf serve`: refused after a bounded read, nothing on disk, no file
// held open, memory flat. (issue 8: it used to spool the whole body first.)
func TestBogusSignatureOnHugeBodyCostsTheServerNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs wharf")
	}
	tmp, data := t.TempDir(), t.TempDir()
	p := proctest.Start(t, data, []string{"TMPDIR=" + tmp})
	baseRSS, err := p.RSSKiB()
	if err != nil {
		t.Fatal(err)
	}
	dataBefore, err := proctest.DirBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	const gib = 1 << 30
	for _, c := range []struct {
		name     string
		declared string
		chunked  bool
	}{
		{"declared payload hash", strings.Repeat("ab", 32), false},
		{"no payload hash", "", false},
		{"chunked, declared payload hash", strings.Repeat("ab", 32), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := &zeros{left: gib}
			req, err := http.NewRequest("POST", p.URL+"/v1/package/version/publish?domain=d&repository=r&format=generic&namespace=n&package=p&version=1&asset=a", body)
			if err != nil {
				t.Fatal(err)
			}
			if c.chunked {
				req.ContentLength = -1
			} else {
				req.ContentLength = gib
			}
			now := time.Now().UTC()
			req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
			if c.declared != "" {
				req.Header.Set("X-Amz-Content-Sha256", c.declared)
			}
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+proctest.AccessKeyID+"/"+now.Format("20060102")+
				"/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64))
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
					t.Fatalf("status %d %s, want 403 InvalidSignatureException", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
				}
			} // else: the server closed the connection while the client was still sending, after answering
			// What the client managed to push: the server's bounded read plus what the
			// loopback socket buffers hold; nowhere near the gigabyte.
			if n := body.read.Load(); n > 64<<20 {
				t.Fatalf("the client sent %d MiB before the refusal; want a bounded read", n>>20)
			}
			t.Logf("client sent %d KiB before the refusal", body.read.Load()>>10)
		})
	}
	if n, err := proctest.DirBytes(tmp); err != nil || n != 0 {
		t.Errorf("temp dir holds %d bytes (%v), want 0", n, err)
	}
	if del, err := p.OpenDeletedFiles(); err != nil || len(del) != 0 {
		t.Errorf("wharf holds deleted files open: %v %v", del, err)
	}
	if after, err := proctest.DirBytes(data); err != nil || after-dataBefore > 1<<20 {
		t.Errorf("data dir grew by %d bytes (%v)", after-dataBefore, err)
	}
	peak, err := p.PeakRSSKiB()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wharf RSS: %d KiB at start, peak %d KiB", baseRSS, peak)
	if peak-baseRSS > 64<<10 {
		t.Errorf("peak RSS grew by %d MiB for refused requests", (peak-baseRSS)>>10)
	}
}
