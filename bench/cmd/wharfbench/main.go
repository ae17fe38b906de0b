// Command wharfbench is the Go side of bench/run.sh: it sets up a running wharf
// for the benchmark cases, drives its control plane from many goroutines (a load
// generator in its own process, as a fleet of SDK clients would be), bulk-loads a
// million package versions to time the list pages, and streams a large generic
// asset through the API. Every subcommand prints its results as KEY=value lines
// that run.sh reads.
//
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the endpoint
// from -endpoint. It only ever talks to the wharf it is given (loopback).
package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact/types"
)

const usage = `wharfbench — the Go half of bench/run.sh

  wharfbench setup   -endpoint URL [-upstreams npm,pypi,maven]   create the bench domain and repositories, print endpoints and a token
  wharfbench load    -endpoint URL -op describe|token -c N -d DUR  signed requests from N goroutines; prints req/s and latency percentiles
  wharfbench list    -backend sqlite|postgres -versions N           bulk-load N versions into one domain, time ListPackageVersions/ListPackages pages
  wharfbench generic -endpoint URL -size BYTES                     publish and download one generic asset of that size through the API
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	case "list":
		err = list(os.Args[2:])
	case "generic":
		err = generic(os.Args[2:])
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "wharfbench "+os.Args[1]+":", err)
		os.Exit(1)
	}
}

// client is a CodeArtifact client for endpoint whose connection pool holds
// conns connections: the SDK's default keeps 10 idle per host, and 64 goroutines
// on 10 connections would measure TCP handshakes, not wharf.
func client(endpoint string, conns int) *codeartifact.Client {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 8,
		MaxIdleConnsPerHost: conns + 8,
		IdleConnTimeout:     90 * time.Second,
	}
	return codeartifact.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: tr, Timeout: 10 * time.Minute},
		// Every failure is counted, never retried away.
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	})
}

// percentile returns the q-quantile (0..1) of sorted durations (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// report prints latency figures of samples under prefix as KEY=value lines.
func report(w io.Writer, prefix string, samples []time.Duration) {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	fmt.Fprintf(w, "%s_n=%d\n%s_p50_ms=%s\n%s_p99_ms=%s\n%s_max_ms=%s\n", prefix, len(samples),
		prefix, ms(percentile(samples, 0.50)), prefix, ms(percentile(samples, 0.99)), prefix, ms(percentile(samples, 1)))
}

func ignoreConflict(err error) error {
	if err == nil {
		return nil
	}
	var ce *types.ConflictException
	if errors.As(err, &ce) {
		return nil
	}
	return err
}
