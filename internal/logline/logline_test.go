package logline

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// both logs the same records through slog's text handler and through ours,
// each into its own buffer.
func both(t *testing.T, opts *slog.HandlerOptions, log func(l *slog.Logger)) (want, got string) {
	t.Helper()
	var w, g bytes.Buffer
	log(slog.New(fixedTime{slog.NewTextHandler(&w, opts)}))
	log(slog.New(fixedTime{NewTextHandler(&g, opts)}))
	return w.String(), g.String()
}

// fixedTime gives every record the same time, so that two handlers given the
// same records can be compared.
type fixedTime struct{ slog.Handler }

var recordTime = time.Date(2026, 11, 30, 1, 2, 3, 999999999, time.UTC)

func (f fixedTime) Handle(ctx context.Context, r slog.Record) error {
	r.Time = recordTime
	return f.Handler.Handle(ctx, r)
}
func (f fixedTime) WithAttrs(a []slog.Attr) slog.Handler { return fixedTime{f.Handler.WithAttrs(a)} }
func (f fixedTime) WithGroup(n string) slog.Handler      { return fixedTime{f.Handler.WithGroup(n)} }

var strs = []string{
	"", "plain", "with space", "a=b", `quote"d`, `back\slash`, "tab\there", "new\nline", "\x00nul", "\x7fdel",
	"ünïcödé", "non\u00a0breaking", "\u2028sep", "invalid\xffutf8", "/hot-000000000000/npm/js/tb/-/tb-1.0.0.tgz",
	"arn:aws:iam::000000000000:root", "emoji 🙂", "🙂", "\u200bzero-width",
}

func TestSameBytesAsSlog(t *testing.T) {
	at := time.Date(2026, 11, 30, 1, 2, 3, 456789012, time.UTC)
	cases := map[string]func(l *slog.Logger){
		"the access line": func(l *slog.Logger) {
			l.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("request_id", "c348feb2d4f80068ceac5c58163251db"),
				slog.String("method", "GET"), slog.String("path", "/hot-000000000000/npm/js/tb/-/tb-1.0.0.tgz"), slog.Int("status", 200),
				slog.Int64("bytes", 23000), slog.Duration("duration", 1213384*time.Nanosecond), slog.String("principal", "arn:aws:iam::000000000000:root"))
		},
		"every simple kind": func(l *slog.Logger) {
			l.Info("kinds", "i", -42, "u", uint64(math.MaxUint64), "f", 3.25, "f2", 1e21, "nan", math.NaN(), "inf", math.Inf(-1), "b", true, "d", 90*time.Minute, "t", at,
				"t2", at.In(time.FixedZone("X", 5*3600+1800)), "zero", time.Time{})
		},
		"left to slog": func(l *slog.Logger) {
			l.Info("odd", "err", errors.New("boom"), "any", []int{1}, "bytes", []byte("x y"), slog.Group("g", "k", "v"), "", "empty key",
				"key with space", 1, "nilany", nil, "k", "v")
		},
		"levels and messages": func(l *slog.Logger) {
			l.Log(context.Background(), slog.LevelInfo+2, "info plus two")
			l.Warn("")
			l.Error("an error", "k", "v")
			l.Debug("hidden at info")
		},
		"a derived logger": func(l *slog.Logger) {
			l.With("component", "gc").Info("swept", "n", 3)
			l.WithGroup("g").Info("grouped", "n", 3)
		},
	}
	for _, s := range strs {
		cases["message and value "+strings.ToValidUTF8(s, "?")] = func(l *slog.Logger) { l.Info(s, "v", s, "n", 1) }
	}
	for name, log := range cases {
		t.Run(name, func(t *testing.T) {
			want, got := both(t, nil, log)
			if want == "" {
				t.Fatal("slog wrote nothing: the case tests nothing")
			}
			if got != want {
				t.Fatalf("differs from slog:\nslog: %q\nours: %q", want, got)
			}
		})
	}
	// Options the fast path does not take: slog's handler answers.
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == slog.SourceKey {
			return slog.Attr{}
		}
		return a
	}}
	if want, got := both(t, opts, cases["every simple kind"]); got != want || want == "" {
		t.Fatalf("with options:\nslog: %q\nours: %q", want, got)
	}
}

// Random strings from the characters that decide quoting.
func TestSameBytesAsSlogOnRandomStrings(t *testing.T) {
	alphabet := []string{"a", "Z", "0", " ", "=", `"`, `\`, "\t", "\n", "\x01", "\x7f", "é", "\u00a0", "\u2028", "\xff", "🙂", "/", "-", ".", ":"}
	r := rand.New(rand.NewPCG(1, 2))
	var want, got bytes.Buffer
	slogL, ours := slog.New(fixedTime{slog.NewTextHandler(&want, nil)}), slog.New(fixedTime{NewTextHandler(&got, nil)})
	for range 20000 {
		var sb strings.Builder
		for range r.IntN(8) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		for _, l := range []*slog.Logger{slogL, ours} {
			l.LogAttrs(context.Background(), slog.LevelInfo, s, slog.String("v", s), slog.String("k", "x"))
		}
	}
	if got.String() != want.String() {
		w, g := strings.Split(want.String(), "\n"), strings.Split(got.String(), "\n")
		for i := range w {
			if w[i] != g[i] {
				t.Fatalf("line %d differs:\nslog: %q\nours: %q", i, w[i], g[i])
			}
		}
	}
}

func TestEnabledFollowsTheLevel(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	h := NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: &lv})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Fatal("Enabled does not follow the configured level")
	}
	lv.Set(slog.LevelInfo)
	if !h.Enabled(context.Background(), slog.LevelInfo) {
		t.Fatal("Enabled does not follow a level changed later")
	}
}

// The request path's record costs no allocation of the handler's own.
func BenchmarkAccessLine(b *testing.B) {
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{{"slog", slog.NewTextHandler(discard{}, nil)}, {"logline", NewTextHandler(discard{}, nil)}} {
		b.Run(c.name, func(b *testing.B) {
			l := slog.New(c.h)
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("request_id", "c348feb2d4f80068ceac5c58163251db"),
					slog.String("method", "GET"), slog.String("path", "/hot-000000000000/npm/js/tb/-/tb-1.0.0.tgz"), slog.Int("status", 200),
					slog.Int64("bytes", 23000), slog.Duration("duration", 1213384*time.Nanosecond), slog.String("principal", "arn:aws:iam::000000000000:root"))
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// referenceRFC3339Millis is how slog writes a time (and how this package did
// before it kept stamps): RFC 3339 with nanoseconds, cut to milliseconds.
func referenceRFC3339Millis(b []byte, t time.Time) []byte {
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}

// The kept per-second stamps write what formatting each time from scratch
// writes: across seconds, sub-millisecond edges, locations that alternate
// within one second, and the same second seen again after another.
func TestTimeStampsMatchFormatting(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("X", 5*3600+1800), time.FixedZone("Y", -8*3600), time.FixedZone("Z0", 0), time.Local}
	base := time.Date(2026, 11, 30, 23, 59, 58, 0, time.UTC)
	nanos := []int{0, 1, 999999, 1000000, 1000001, 99999999, 100000000, 456789012, 999000000, 999999999}
	var times []time.Time
	for s := range 4 { // crosses a minute, hour, day and month boundary
		for _, ns := range nanos {
			for _, z := range zones {
				times = append(times, base.Add(time.Duration(s)*time.Second+time.Duration(ns)).In(z))
			}
		}
	}
	times = append(times, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2000, 2, 29, 12, 0, 0, 5e8, time.FixedZone("Q", 3600)),
		time.Now(), time.Now().Round(0), times[0]) // the first second again, after the others
	for i, tm := range times {
		want := string(referenceRFC3339Millis([]byte("x="), tm))
		if got := string(appendRFC3339Millis([]byte("x="), tm)); got != want {
			t.Fatalf("time %d (%v): wrote %q, want %q", i, tm, got, want)
		}
	}
}

// appendDuration writes what time.Duration.String returns, on every unit's
// edges, fractions with and without trailing zeros, negatives, the extremes,
// and random values of every magnitude.
func TestDurationAsString(t *testing.T) {
	ds := []time.Duration{0, 1, -1, 999, 1000, 1001, 1500, 999999, 1000000, 1213384, 999999999, time.Second, time.Second + 1,
		59 * time.Second, time.Minute, 90 * time.Minute, time.Hour, 100*time.Hour + 1, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		d := time.Duration(rng.Int64() >> rng.IntN(64))
		if rng.IntN(2) == 0 {
			d = -d
		}
		ds = append(ds, d)
	}
	for _, d := range ds {
		if got, want := string(appendDuration([]byte("d="), d)), "d="+d.String(); got != want {
			t.Fatalf("duration %d: wrote %q, want %q", int64(d), got, want)
		}
	}
}
