// Package logline is slog's text format, written faster for the records wharf
// logs on every request. A TextHandler from here writes, byte for byte, what
// slog.NewTextHandler writes (TestSameBytesAsSlog holds it to that); it formats
// a record itself when every attribute is a plain string, number, bool,
// duration or time with a key that needs no quoting, and hands any other
// record to slog's own handler.
//
// Why: slog's general handler (its attribute walk, quoting check and buffer
// handling) cost about a tenth of the instructions of a cached-tarball GET —
// the request wharf answers most — for the one access-log line each request
// writes (bench/ANALYSIS.md).
package logline

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// TextHandler is slog's text handler with a fast path.
type TextHandler struct {
	slow  slog.Handler
	out   io.Writer
	level slog.Leveler
	fast  bool // no ReplaceAttr, no AddSource, no attributes or groups added by With
	mu    *sync.Mutex
}

// NewTextHandler is slog.NewTextHandler(w, opts), faster on simple records.
func NewTextHandler(w io.Writer, opts *slog.HandlerOptions) *TextHandler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	var level slog.Leveler = slog.LevelInfo
	if opts.Level != nil {
		level = opts.Level
	}
	return &TextHandler{
		slow: slog.NewTextHandler(w, opts), out: w, level: level,
		fast: opts.ReplaceAttr == nil && !opts.AddSource, mu: &sync.Mutex{},
	}
}

// Enabled reports whether records at l are written.
func (h *TextHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs and WithGroup return slog's own handler: records of derived
// loggers are not on the request path.
func (h *TextHandler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.slow.WithAttrs(attrs) }
func (h *TextHandler) WithGroup(name string) slog.Handler       { return h.slow.WithGroup(name) }

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Handle writes r in one Write, as slog's handler does.
func (h *TextHandler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.slow.Handle(ctx, r)
	}
	bp := bufs.Get().(*[]byte)
	b, ok := appendRecord((*bp)[:0], r)
	if !ok {
		bufs.Put(bp)
		return h.slow.Handle(ctx, r)
	}
	h.mu.Lock()
	_, err := h.out.Write(b)
	h.mu.Unlock()
	if cap(b) <= 64<<10 { // do not keep a huge record's buffer
		*bp = b
		bufs.Put(bp)
	}
	return err
}

// appendRecord formats r as slog's text handler does, or reports false for a
// record it leaves to slog.
func appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		b = appendRFC3339Millis(b, r.Time.Round(0))
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = appendString(b, r.Level.String())
	b = append(b, " msg="...)
	b = appendString(b, r.Message)
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		b, ok = appendAttr(b, a)
		return ok
	})
	return append(b, '\n'), ok
}

func appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	if a.Key == "" || needsQuoting(a.Key) {
		return b, false // empty attributes are skipped, odd keys quoted: slog knows how
	}
	b = append(b, ' ')
	b = append(b, a.Key...)
	b = append(b, '=')
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		b = appendString(b, v.String())
	case slog.KindInt64:
		b = strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		b = strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindFloat64:
		b = strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindBool:
		b = strconv.AppendBool(b, v.Bool())
	case slog.KindDuration:
		b = appendDuration(b, v.Duration())
	case slog.KindTime:
		b = appendRFC3339Millis(b, v.Time())
	default: // Any, groups, LogValuers
		return b, false
	}
	return b, true
}

func appendString(b []byte, s string) []byte {
	if needsQuoting(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// appendRFC3339Millis is slog's: RFC 3339 with exactly three digits of
// milliseconds (truncated, not rounded).
//
// Formatting the date, the clock and the zone from scratch (time.AppendFormat:
// the calendar arithmetic and the zone lookup) was a sixth of the access
// line's cost; every line written within the same second repeats them. They
// are formatted once per second and location and kept (stamps), and only the
// milliseconds are written per line. A second fixes the zone's offset (zone
// transitions fall on whole seconds), so a kept stamp is exact for its
// second and location.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	sec, loc := t.Unix(), t.Location()
	st := stamps.Load()
	if st == nil || st.sec != sec || st.loc != loc {
		st = &stamp{sec: sec, loc: loc}
		st.head = t.AppendFormat(st.head[:0], "2006-01-02T15:04:05")
		st.zone = t.AppendFormat(st.zone[:0], "Z07:00")
		stamps.Store(st)
	}
	ms := t.Nanosecond() / 1e6
	b = append(b, st.head...)
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// stamp is one second's formatted date and clock ("2006-01-02T15:04:05")
// and zone ("Z" or "+hh:mm") in one location. Stamps are never modified once
// stored; a new second stores a new one.
type stamp struct {
	sec        int64
	loc        *time.Location
	head, zone []byte
}

var stamps atomic.Pointer[stamp]

// appendDuration appends d as d.String() writes it ("1.213384ms", "1h30m0s"),
// without the string String allocates (one per access line, whose duration
// attribute is formatted on every request). TestDurationAsString holds it
// to String's bytes.
func appendDuration(b []byte, d time.Duration) []byte {
	var buf [32]byte // the longest is "-2562047h47m16.854775808s"
	w := len(buf)
	u := uint64(d)
	neg := d < 0
	if neg {
		u = -u
	}
	if u < uint64(time.Second) {
		// Under a second: the largest unit below it, with a fraction.
		var prec int
		w--
		buf[w] = 's'
		w--
		switch {
		case u == 0:
			buf[w] = '0'
			return append(b, buf[w:]...)
		case u < uint64(time.Microsecond):
			buf[w] = 'n'
		case u < uint64(time.Millisecond):
			prec = 3
			w-- // "µ" is two bytes
			copy(buf[w:], "µ")
		default:
			prec = 6
			buf[w] = 'm'
		}
		w, u = fracInto(buf[:w], u, prec)
		w = uintInto(buf[:w], u)
	} else {
		w--
		buf[w] = 's'
		w, u = fracInto(buf[:w], u, 9) // u is now whole seconds
		w = uintInto(buf[:w], u%60)
		if u /= 60; u > 0 { // minutes
			w--
			buf[w] = 'm'
			w = uintInto(buf[:w], u%60)
			if u /= 60; u > 0 { // hours
				w--
				buf[w] = 'h'
				w = uintInto(buf[:w], u)
			}
		}
	}
	if neg {
		w--
		buf[w] = '-'
	}
	return append(b, buf[w:]...)
}

// fracInto writes v's last prec decimal digits as a fraction at the end of
// buf, without trailing zeros (and without the point when they all are),
// and returns where it starts and v without them.
func fracInto(buf []byte, v uint64, prec int) (int, uint64) {
	w := len(buf)
	printed := false
	for range prec {
		digit := v % 10
		printed = printed || digit != 0
		if printed {
			w--
			buf[w] = byte(digit) + '0'
		}
		v /= 10
	}
	if printed {
		w--
		buf[w] = '.'
	}
	return w, v
}

// uintInto writes v in decimal at the end of buf and returns where it starts.
func uintInto(buf []byte, v uint64) int {
	w := len(buf)
	if v == 0 {
		w--
		buf[w] = '0'
		return w
	}
	for v > 0 {
		w--
		buf[w] = byte(v%10) + '0'
		v /= 10
	}
	return w
}

// needsQuoting is slog's rule: empty, or a space, '=', '"', a control
// character, or a rune that is not printable or is a space.
func needsQuoting(s string) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c != '\\' && (c == ' ' || c == '=' || c == '"' || c < 0x20) {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}
