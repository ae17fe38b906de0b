package upstream_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/endpoints"
	"github.com/wharf-dev/wharf/internal/upstream"
	"github.com/wharf-dev/wharf/internal/upstream/upstreamtest"
)

// TestAssetFaults: every way an asset download can go wrong ends the stream
// with an error a handler answers 502 (or 504 for the stalls), never io.EOF —
// except the two a transport cannot see (a close-delimited body cut short,
// wrong bytes), which the formats' digest checks catch.
func TestAssetFaults(t *testing.T) {
	body := []byte(strings.Repeat("0123456789abcdef", 64<<10)) // 1 MiB
	up := upstreamtest.New(t)
	other := upstreamtest.New(t)
	other.Set("/a.tgz", "", body)
	up.Target = other.URL
	up.Set("/a.tgz", "", body)
	u, _ := url.Parse(up.URL)
	fetcher := func(timeout time.Duration) *upstream.Fetcher {
		f, err := upstream.New(upstream.Sources{"public:npmjs": u}, nil, upstream.Options{
			ResponseHeaderTimeout: timeout, ReadTimeout: timeout, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Short timeouts only where a stall is the fault: elsewhere a loaded
	// machine must not turn a slow good answer into a timeout.
	patient, impatient := fetcher(0), fetcher(300*time.Millisecond)
	for _, fault := range upstreamtest.Faults {
		t.Run(fault.String(), func(t *testing.T) {
			f := patient
			if fault == upstreamtest.SlowHeaders || fault == upstreamtest.SlowBody {
				f = impatient
			}
			up.Fail("/a.tgz", fault)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // safety net only
			defer cancel()
			var got []byte
			rc, _, _, err := f.OpenAsset(ctx, "public:npmjs", "a.tgz")
			if err == nil {
				got, err = io.ReadAll(rc)
				rc.Close()
			}
			switch fault {
			case upstreamtest.ShortNoLength, upstreamtest.WrongBytes:
				if err != nil || string(got) == string(body) {
					t.Fatalf("err = %v; a transport cannot tell these apart from a good body, the digest must", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("read %d bytes and io.EOF; want an error", len(got))
			}
			if !errors.Is(err, upstream.ErrUnavailable) || !apperr.Is(err, apperr.Internal) {
				t.Fatalf("err = %v, want apperr.Internal wrapping ErrUnavailable", err)
			}
			want := 502
			if fault == upstreamtest.SlowHeaders || fault == upstreamtest.SlowBody {
				want = 504
			}
			if s := endpoints.HTTPStatus(err); s != want {
				t.Fatalf("status %d, want %d (err %v)", s, want, err)
			}
			if fault == upstreamtest.Redirect && other.Hits("/a.tgz") != 0 {
				t.Fatal("the redirect target was contacted")
			}
		})
	}
	up.Fail("/a.tgz", upstreamtest.Good)
	rc, size, _, err := patient.OpenAsset(context.Background(), "public:npmjs", "a.tgz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || size != int64(len(body)) || string(got) != string(body) {
		t.Fatalf("good answer after the faults: %d bytes, %v", len(got), err)
	}
}
