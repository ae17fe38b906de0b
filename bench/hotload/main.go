// Command hotload prepares a running wharf for the hot-path measurements of
// bench/PROFILE.md and drives its signed API with many goroutines from a
// separate process (wrk drives the package endpoints; see bench/hotpath.sh).
//
//	hotload setup -url http://127.0.0.1:8080 -versions 1000 -tarball-kb 23
//	    creates domain "hot" with repository "js", publishes package "big" with
//	    that many versions and package "tb" with one tarball of that size, and
//	    prints shell assignments: TOKEN, PACKUMENT, TARBALL.
//	hotload api -url ... -op DescribeRepository -c 64 -d 10s
//	    SigV4-signed calls through aws-sdk-go-v2, reports calls/s and the
//	    load generator's own CPU time per call (it shares the cores with wharf).
//	hotload floor -listen 127.0.0.1:8081 -dir DIR
//	    serves DIR's files from memory with nothing but net/http (Content-Length,
//	    ETag, the .gz copy to Accept-Encoding: gzip): the floor of a Go server
//	    on this machine, which no wharf request can beat (bench/PROFILE.md).
//
// Credentials come from WHARF_ROOT_ACCESS_KEY_ID / WHARF_ROOT_SECRET_ACCESS_KEY.
package main

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hotload setup|api|get|floor [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:8080", "wharf base URL")
	versions := fs.Int("versions", 1000, "versions of the large package")
	tarKB := fs.Int("tarball-kb", 23, "size of the tarball package's tarball in KB")
	op := fs.String("op", "DescribeRepository", "DescribeRepository or GetAuthorizationToken")
	conc := fs.Int("c", 64, "concurrent callers")
	dur := fs.Duration("d", 10*time.Second, "duration")
	listen := fs.String("listen", "127.0.0.1:0", "floor: address to serve on")
	dir := fs.String("dir", ".", "floor: directory whose files are served")
	n := fs.Int("n", 0, "api: make exactly this many calls, one at a time (instead of -c/-d); get: requests to make")
	var headers headerFlags
	fs.Var(&headers, "H", "get: a request header \"Name: value\" (repeatable)")
	_ = fs.Parse(os.Args[2:])
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0}}
	ca := codeartifact.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(os.Getenv("WHARF_ROOT_ACCESS_KEY_ID"), os.Getenv("WHARF_ROOT_SECRET_ACCESS_KEY"), ""),
		BaseEndpoint: base, HTTPClient: hc, RetryMaxAttempts: 1,
	})
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(ctx, ca, hc, *base, *versions, *tarKB)
	case "api":
		if *n > 0 {
			err = calls(ctx, ca, *op, *n)
		} else {
			err = load(ctx, ca, *op, *conc, *dur)
		}
	case "get":
		err = get(hc, fs.Arg(0), headers, *n)
	case "floor":
		err = floor(*listen, *dir)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hotload:", err)
		os.Exit(1)
	}
}

func publishDoc(name, version string, tarball []byte) string {
	s512 := sha512.Sum512(tarball)
	s1 := sha1.Sum(tarball)
	// A version document the size of a typical public one (~500 bytes of
	// package.json fields besides dist).
	return fmt.Sprintf(`{"_id":%q,"name":%q,"description":"a package for measuring wharf","dist-tags":{"latest":%q},
		"versions":{%q:{"name":%q,"version":%q,"description":"a package for measuring wharf","license":"MIT",
		"keywords":["bench","wharf","hot","path"],"author":{"name":"wharf","email":"wharf@example.invalid"},
		"repository":{"type":"git","url":"git+https://example.invalid/wharf/bench.git"},"main":"index.js",
		"engines":{"node":">= 0.10.0"},"scripts":{"test":"mocha --check-leaks --reporter spec test/"},
		"dependencies":{"accepts":"~1.3.8","array-flatten":"1.1.1","body-parser":"1.20.1","content-disposition":"0.5.4","cookie":"0.5.0","debug":"2.6.9"},
		"devDependencies":{"mocha":"^10.0.0","supertest":"^6.3.0"},
		"dist":{"integrity":"sha512-%s","shasum":"%s","tarball":"http://x/y.tgz"}}},
		"readme":"# bench\n\nA readme.",
		"_attachments":{%q:{"content_type":"application/octet-stream","data":%q,"length":%d}}}`,
		name, name, version, version, name, version, base64.StdEncoding.EncodeToString(s512[:]), hex.EncodeToString(s1[:]),
		name+"-"+version+".tgz", base64.StdEncoding.EncodeToString(tarball), len(tarball))
}

func setup(ctx context.Context, ca *codeartifact.Client, hc *http.Client, base string, n, tarKB int) error {
	if _, err := ca.CreateDomain(ctx, &codeartifact.CreateDomainInput{Domain: aws.String("hot")}); err != nil {
		return err
	}
	if _, err := ca.CreateRepository(ctx, &codeartifact.CreateRepositoryInput{Domain: aws.String("hot"), Repository: aws.String("js")}); err != nil {
		return err
	}
	ep, err := ca.GetRepositoryEndpoint(ctx, &codeartifact.GetRepositoryEndpointInput{Domain: aws.String("hot"), Repository: aws.String("js"), Format: types.PackageFormatNpm})
	if err != nil {
		return err
	}
	tok, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hot")})
	if err != nil {
		return err
	}
	endpoint := strings.TrimSuffix(aws.ToString(ep.RepositoryEndpoint), "/")
	token := aws.ToString(tok.AuthorizationToken)
	put := func(url, body string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("PUT %s: %s: %s", url, resp.Status, msg)
		}
		return nil
	}
	small := []byte(strings.Repeat("wharf bench tarball ", 50))
	for i := range n {
		if err := put(endpoint+"/big", publishDoc("big", fmt.Sprintf("4.%d.%d", i/100, i%100), small)); err != nil {
			return err
		}
	}
	big := make([]byte, tarKB*1000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	if err := put(endpoint+"/tb", publishDoc("tb", "1.0.0", big)); err != nil {
		return err
	}
	fmt.Printf("TOKEN=%s\nPACKUMENT=%s/big\nTARBALL=%s/tb/-/tb-1.0.0.tgz\n", token, endpoint, endpoint)
	return nil
}

func load(ctx context.Context, ca *codeartifact.Client, op string, conc int, dur time.Duration) error {
	call := func() error {
		switch op {
		case "DescribeRepository":
			_, err := ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("hot"), Repository: aws.String("js")})
			return err
		case "GetAuthorizationToken":
			_, err := ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hot")})
			return err
		}
		return fmt.Errorf("unknown op %q", op)
	}
	if err := call(); err != nil {
		return err
	}
	var calls, fails atomic.Int64
	var firstErr atomic.Value
	cpu0 := cpuTime()
	stop := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := call(); err != nil {
					fails.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("%s: %d calls in %.1fs with %d goroutines: %.0f calls/s, %d failed", op, calls.Load(), el.Seconds(), conc, float64(calls.Load())/el.Seconds(), fails.Load())
	if n := calls.Load(); n > 0 {
		fmt.Printf("; client CPU %d µs/call", (cpuTime()-cpu0).Microseconds()/n)
	}
	if e := firstErr.Load(); e != nil {
		fmt.Printf(" (first: %v)", e)
	}
	fmt.Println()
	return nil
}

// cpuTime is this process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// floor serves dir's regular files from memory with net/http alone: no
// authentication, no lookup, no log. Its rate against nginx's on the same
// bytes is what the Go server itself costs on this machine.
func floor(listen, dir string) error {
	type file struct {
		body, gz []byte
		etag     string
	}
	files := map[string]*file{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".gz") {
			continue
		}
		b, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			return err
		}
		sum := sha1.Sum(b)
		f := &file{body: b, etag: `"` + hex.EncodeToString(sum[:]) + `"`}
		if gz, err := os.ReadFile(dir + "/" + e.Name() + ".gz"); err == nil {
			f.gz = gz
		}
		files["/"+e.Name()] = f
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := files[r.URL.Path]
		if f == nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Etag"] = []string{f.etag}
		body := f.body
		if f.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			body = f.gz
			h["Content-Encoding"] = []string{"gzip"}
		}
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		_, _ = w.Write(body)
	}))
}

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// get makes n GET requests of url one after the other on one keep-alive
// connection, reading each body whole, and fails on any answer but 200/304:
// a fixed amount of work, for measuring a server's cost per request
// (bench/cost.sh) rather than its rate.
func get(hc *http.Client, url string, headers []string, n int) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	cpu0 := cpuTime()
	for i := range n {
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
			return fmt.Errorf("request %d: %s", i, resp.Status)
		}
	}
	fmt.Printf("%d requests; client CPU %d µs/request\n", n, (cpuTime()-cpu0).Microseconds()/int64(max(n, 1)))
	return nil
}

// calls makes n signed calls of op one after the other and prints the load
// generator's own CPU time per call (bench/cost.sh).
func calls(ctx context.Context, ca *codeartifact.Client, op string, n int) error {
	call := func() error {
		var err error
		switch op {
		case "DescribeRepository":
			_, err = ca.DescribeRepository(ctx, &codeartifact.DescribeRepositoryInput{Domain: aws.String("hot"), Repository: aws.String("js")})
		case "GetAuthorizationToken":
			_, err = ca.GetAuthorizationToken(ctx, &codeartifact.GetAuthorizationTokenInput{Domain: aws.String("hot")})
		default:
			err = fmt.Errorf("unknown op %q", op)
		}
		return err
	}
	cpu0 := cpuTime()
	for range n {
		if err := call(); err != nil {
			return err
		}
	}
	fmt.Printf("%s: %d calls; client CPU %d µs/call\n", op, n, (cpuTime()-cpu0).Microseconds()/int64(max(n, 1)))
	return nil
}
