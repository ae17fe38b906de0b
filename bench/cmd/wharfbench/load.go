package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codeartifact"
)

// load runs one signed operation from c goroutines for d (after a warm-up that
// opens the connections) and prints the rate and latency percentiles.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "wharf base URL")
	op := fs.String("op", "describe", "describe (DescribeRepository) or token (GetAuthorizationToken)")
	conc := fs.Int("c", 64, "goroutines")
	dur := fs.Duration("d", 10*time.Second, "measured duration")
	warm := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up")
	repo := fs.String("repository", "npm", "repository DescribeRepository asks for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ca := client(*endpoint, *conc)
	var call func(ctx context.Context) error
	switch *op {
	case "describe":
		in := &codeartifact.DescribeRepositoryInput{Domain: aws.String(Domain), Repository: aws.String(*repo)}
		call = func(ctx context.Context) error { _, err := ca.DescribeRepository(ctx, in); return err }
	case "token":
		in := &codeartifact.GetAuthorizationTokenInput{Domain: aws.String(Domain)}
		call = func(ctx context.Context) error { _, err := ca.GetAuthorizationToken(ctx, in); return err }
	default:
		return fmt.Errorf("unknown -op %q", *op)
	}
	ctx := context.Background()
	var measuring atomic.Bool
	var errs atomic.Int64
	var firstErr atomic.Value
	stop := time.Now().Add(*warm + *dur)
	lat := make([][]time.Duration, *conc)
	var wg sync.WaitGroup
	for g := 0; g < *conc; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				err := call(ctx)
				d := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[g] = append(lat[g], d)
			}
		}(g)
	}
	time.Sleep(*warm)
	measuring.Store(true)
	t0 := time.Now()
	wg.Wait()
	elapsed := time.Since(t0)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	fmt.Printf("op=%s\nconcurrency=%d\nseconds=%.1f\nok=%d\nerrors=%d\nreq_per_s=%.0f\n", *op, *conc, elapsed.Seconds(), len(all), errs.Load(), float64(len(all))/elapsed.Seconds())
	report(os.Stdout, "lat", all)
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "first error:", e)
	}
	return nil
}
