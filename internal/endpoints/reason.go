package endpoints

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// StatusRecorder is implemented by response writers that log the status
// (the access log's): WriteWithReason tells them the status it wrote on a
// connection it took over.
type StatusRecorder interface{ RecordStatus(code int) }

// maxReason bounds a reason phrase (a status line is not a document).
const maxReason = 400

// WriteWithReason answers an error to a write (an upload, a deploy) with its
// message as the status line's reason phrase — "403 Publishing of x … is blocked by package group …" —
// and in the body too. That is how PyPI answers ("400 File already exists"),
// and it is the one place twine and mvn print what went wrong: they show the
// reason phrase, not the body. Go's ResponseWriter always writes the standard
// phrase, so on HTTP/1.x the connection is taken over (hijacked), up to
// 256 KiB of an unread request body is drained first (as net/http does before
// it answers early), the response is written with Connection: close, and the
// connection closed. Where that is not possible (HTTP/2) the standard status
// line is written with the same body.
func WriteWithReason(w http.ResponseWriter, r *http.Request, status int, reason, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		body = nil
	}
	// Reads keep their connection: a resolver asks for many files that are
	// not there, and prints nothing of a 404's reason anyway.
	if r.ProtoMajor == 1 && r.Method != http.MethodGet && r.Method != http.MethodHead {
		if r.Body != nil {
			_, _ = io.CopyN(io.Discard, r.Body, 256<<10)
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err == nil {
			h := w.Header().Clone()
			h.Set("Connection", "close")
			_, _ = buf.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + reasonPhrase(status, reason) + "\r\n")
			_ = h.Write(buf)
			_, _ = buf.WriteString("\r\n")
			_, _ = buf.Write(body)
			_ = buf.Flush()
			recordStatus(w, status)
			lingerClose(conn)
			return
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// reasonPhrase makes a message fit a status line: one line of printable
// characters, bounded; empty falls back to the standard phrase.
func reasonPhrase(status int, msg string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r > unicode.MaxASCII && !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(msg))
	if len(msg) > maxReason {
		msg = msg[:maxReason]
	}
	if msg == "" {
		return http.StatusText(status)
	}
	return msg
}

// recordStatus tells the writers wrapping w (through Unwrap) the status.
func recordStatus(w http.ResponseWriter, status int) {
	for w != nil {
		if s, ok := w.(StatusRecorder); ok {
			s.RecordStatus(status)
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// What a refused write's client may still send after the answer, read and
// dropped so that closing does not reset the connection (lingerClose).
const (
	lingerBytes   = 8 << 20
	lingerTimeout = 2 * time.Second
)

// lingerClose closes a hijacked connection the way net/http closes one it
// answered before reading the request body: the write side first, so the
// client reads the answer to its end, then what the client still sends is read
// and dropped, for a bounded time and amount, before the close. Closing with
// unread data makes the kernel send a reset, which discards the answer from
// the client's buffers — a client that writes its whole upload before reading
// (twine, mvn) would see "connection reset" instead of the reason.
func lingerClose(conn net.Conn) {
	defer conn.Close()
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok || cw.CloseWrite() != nil {
		return
	}
	_ = conn.SetReadDeadline(time.Now().Add(lingerTimeout))
	_, _ = io.CopyN(io.Discard, conn, lingerBytes)
}
