package npm

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/jsonvalues"
)

// PublishBody is the document `npm publish` PUTs, minus the tarball bytes,
// which ParsePublish streams to a callback instead of holding them.
type PublishBody struct {
	Name        string
	DistTags    map[string]string
	Versions    map[string]json.RawMessage
	Readme      string
	Attachments map[string]AttachmentInfo
}

// AttachmentInfo is what the body says about one attachment besides its data.
type AttachmentInfo struct {
	ContentType string `json:"content_type"`
	Length      int64  `json:"length"`
}

// ParsePublish reads a publish body from r in one pass. Every attachment's
// base64 "data" is decoded as it is read and handed to onData as a stream, so a
// tarball is never held in memory (neither encoded nor decoded); everything
// else (the metadata, small) is kept. onData must consume the stream or return
// an error, which aborts the parse and is returned as is. Errors reading r (a
// size limit's apperr.TooLarge) are returned as is; malformed JSON is
// apperr.Validation.
func ParsePublish(r io.Reader, onData func(attachment string, data io.Reader) error) (*PublishBody, error) {
	return ParsePublishLimited(r, DefaultLimits(), onData)
}

// Limits bound what a publish body may hold besides its tarball. They are
// checked while the body streams in, so an oversized field is refused after
// at most MaxMetadataBytes have been read, whatever its declared size: memory
// per publish stays bounded by the limits, not by what a client sends.
type Limits struct {
	MaxMetadataBytes    int64 // every byte outside attachment data: keys, versions, readme, ...
	MaxReadmeBytes      int64 // the readme, top-level or in a version document
	MaxDescriptionBytes int64 // a version's description
	MaxVersions         int   // version documents
	MaxAttachments      int   // attachments
}

// DefaultLimits are the limits of `wharf serve` without flags.
func DefaultLimits() Limits {
	return Limits{MaxMetadataBytes: 16 << 20, MaxReadmeBytes: 1 << 20, MaxDescriptionBytes: 64 << 10, MaxVersions: 1, MaxAttachments: 1}
}

func (l *Limits) defaults() {
	d := DefaultLimits()
	if l.MaxMetadataBytes <= 0 {
		l.MaxMetadataBytes = d.MaxMetadataBytes
	}
	if l.MaxReadmeBytes <= 0 {
		l.MaxReadmeBytes = d.MaxReadmeBytes
	}
	if l.MaxDescriptionBytes <= 0 {
		l.MaxDescriptionBytes = d.MaxDescriptionBytes
	}
	if l.MaxVersions <= 0 {
		l.MaxVersions = d.MaxVersions
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = d.MaxAttachments
	}
}

// MaxMetadataValues bounds the JSON values of a publish body's fields
// (attachment data aside), counted before they are decoded. The byte limit
// alone let 14 MiB of dependencies (`"d0000001":"",`) cost 720 MiB and store
// 1.1 million of them; the largest real manifests (exports maps of thousands
// of entries) hold tens of thousands.
const MaxMetadataValues = 200_000

func tooLarge(format string, args ...any) error {
	return apperr.New(apperr.TooLarge, format, args...)
}

// ParsePublishLimited is ParsePublish within lim (zero fields take the
// defaults). A body over a limit is apperr.TooLarge.
func ParsePublishLimited(r io.Reader, lim Limits, onData func(attachment string, data io.Reader) error) (*PublishBody, error) {
	lim.defaults()
	s := &scanner{r: bufio.NewReaderSize(r, 64<<10), left: lim.MaxMetadataBytes, max: lim.MaxMetadataBytes}
	body := &PublishBody{Attachments: map[string]AttachmentInfo{}}
	values := 0 // in the fields kept, counted before each is decoded
	err := s.object(func(key string) error {
		switch key {
		case "_attachments":
			return s.object(func(att string) error {
				if _, dup := body.Attachments[att]; !dup && len(body.Attachments) >= lim.MaxAttachments {
					return tooLarge("a publish body carries at most %d attachment(s)", lim.MaxAttachments)
				}
				var info AttachmentInfo
				err := s.object(func(field string) error {
					if field == "data" {
						return s.base64String(func(dec io.Reader) error { return onData(att, dec) })
					}
					raw, err := s.raw()
					if err != nil {
						return err
					}
					switch field {
					case "content_type":
						return unmarshalField(raw, &info.ContentType, "_attachments.content_type")
					case "length":
						return unmarshalField(raw, &info.Length, "_attachments.length")
					}
					return nil
				})
				body.Attachments[att] = info
				return err
			})
		}
		raw, err := s.raw()
		if err != nil {
			return err
		}
		if values += jsonvalues.Count(raw, MaxMetadataValues); values > MaxMetadataValues {
			return tooLarge("a publish body's metadata holds at most %d JSON values", MaxMetadataValues)
		}
		switch key {
		case "name":
			return unmarshalField(raw, &body.Name, "name")
		case "dist-tags":
			return unmarshalField(raw, &body.DistTags, "dist-tags")
		case "versions":
			return unmarshalField(raw, &body.Versions, "versions")
		case "readme":
			return unmarshalField(raw, &body.Readme, "readme")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(body.Versions) > lim.MaxVersions {
		return nil, tooLarge("a publish body carries at most %d version(s), got %d", lim.MaxVersions, len(body.Versions))
	}
	if int64(len(body.Readme)) > lim.MaxReadmeBytes {
		return nil, tooLarge("readme of %d bytes exceeds the limit of %d bytes", len(body.Readme), lim.MaxReadmeBytes)
	}
	if c, err := s.peek(); err == nil {
		return nil, badBody("unexpected %q after the document", c)
	} else if !errors.Is(err, io.EOF) {
		return nil, err
	}
	return body, nil
}

func unmarshalField(raw []byte, v any, field string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return badBody("field %s: %v", field, err)
	}
	return nil
}

func badBody(format string, args ...any) error {
	return apperr.Validationf("malformed publish body: "+format, args...)
}

// scanner is a minimal streaming JSON reader: enough to walk objects, copy
// values verbatim and stream one string's contents.
type scanner struct {
	r *bufio.Reader
	// left is what remains of the metadata budget: raw copies every value it
	// keeps into memory, and fails once the values kept add up to more.
	left, max int64
}

// keep is called for each byte raw copies; it fails past the budget.
func (s *scanner) keep(buf *bytes.Buffer) error {
	if int64(buf.Len()) > s.left {
		return tooLarge("publish metadata (the body without its tarball) exceeds the limit of %d bytes", s.max)
	}
	return nil
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, s.r.UnreadByte()
	}
}

func (s *scanner) next() (byte, error) {
	if _, err := s.peek(); err != nil {
		return 0, s.eof(err)
	}
	return s.r.ReadByte()
}

// eof turns a premature end into a validation error; other read errors (a
// size limit) pass through.
func (s *scanner) eof(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return badBody("unexpected end of body")
	}
	return err
}

// object walks an object, calling field for each key with the reader
// positioned at its value; field must consume the value.
func (s *scanner) object(field func(key string) error) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '{' {
		return badBody("expected an object, got %q", c)
	}
	if c, err := s.peek(); err != nil {
		return s.eof(err)
	} else if c == '}' {
		_, _ = s.r.ReadByte()
		return nil
	}
	for {
		raw, err := s.raw()
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(raw, &key); err != nil {
			return badBody("object key: %v", err)
		}
		if c, err := s.next(); err != nil {
			return err
		} else if c != ':' {
			return badBody("expected ':' after key %q", key)
		}
		if err := field(key); err != nil {
			return err
		}
		c, err := s.next()
		if err != nil {
			return err
		}
		switch c {
		case ',':
			continue
		case '}':
			return nil
		default:
			return badBody("expected ',' or '}', got %q", c)
		}
	}
}

// raw copies one value verbatim and checks it is valid JSON.
func (s *scanner) raw() ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return nil, s.eof(err)
	}
	var buf bytes.Buffer
	switch c {
	case '"':
		err = s.copyString(&buf)
	case '{', '[':
		err = s.copyNested(&buf)
	default:
		for {
			c, err := s.r.ReadByte()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, err
			}
			if bytes.IndexByte([]byte(",}] \t\r\n:"), c) >= 0 {
				_ = s.r.UnreadByte()
				break
			}
			buf.WriteByte(c)
			if err := s.keep(&buf); err != nil {
				return nil, err
			}
		}
	}
	if err != nil {
		return nil, err
	}
	s.left -= int64(buf.Len())
	if !json.Valid(buf.Bytes()) {
		return nil, badBody("invalid JSON value %.40q", buf.String())
	}
	return buf.Bytes(), nil
}

// copyString copies a string token, quotes included.
func (s *scanner) copyString(buf *bytes.Buffer) error {
	c, err := s.r.ReadByte()
	if err != nil {
		return s.eof(err)
	}
	buf.WriteByte(c) // opening quote
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return s.eof(err)
		}
		buf.WriteByte(c)
		if err := s.keep(buf); err != nil {
			return err
		}
		switch c {
		case '\\':
			e, err := s.r.ReadByte()
			if err != nil {
				return s.eof(err)
			}
			buf.WriteByte(e)
		case '"':
			return nil
		}
	}
}

// copyNested copies an object or array, strings inside included.
func (s *scanner) copyNested(buf *bytes.Buffer) error {
	depth := 0
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return s.eof(err)
		}
		if c == '"' {
			_ = s.r.UnreadByte()
			if err := s.copyString(buf); err != nil {
				return err
			}
			continue
		}
		buf.WriteByte(c)
		if err := s.keep(buf); err != nil {
			return err
		}
		switch c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return nil
			}
		}
	}
}

// base64String streams the decoded contents of a base64 string value to fn
// and consumes the value, including what fn left unread.
func (s *scanner) base64String(fn func(io.Reader) error) error {
	c, err := s.next()
	if err != nil {
		return err
	}
	if c != '"' {
		return badBody("attachment data must be a base64 string")
	}
	sr := &stringReader{s: s}
	dec := base64.NewDecoder(base64.StdEncoding, sr)
	if err := fn(&decodeErrs{dec}); err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, &decodeErrs{dec}); err != nil {
		return err
	}
	if !sr.done {
		return badBody("attachment data was not fully read")
	}
	return nil
}

// decodeErrs reports base64 corruption as a validation error (not a 500).
type decodeErrs struct{ r io.Reader }

func (d *decodeErrs) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	var ce base64.CorruptInputError
	if errors.As(err, &ce) {
		return n, badBody("attachment data is not valid base64: %v", ce)
	}
	return n, err
}

// stringReader yields a JSON string's contents up to its closing quote,
// resolving the escapes base64 text can carry ("\/", and line breaks).
type stringReader struct {
	s    *scanner
	done bool
}

func (sr *stringReader) Read(p []byte) (int, error) {
	if sr.done {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) {
		if n > 0 && sr.s.r.Buffered() == 0 {
			break // return what we have rather than block
		}
		c, err := sr.s.r.ReadByte()
		if err != nil {
			return n, sr.s.eof(err)
		}
		switch c {
		case '"':
			sr.done = true
			if n == 0 {
				return 0, io.EOF
			}
			return n, nil
		case '\\':
			e, err := sr.s.r.ReadByte()
			if err != nil {
				return n, sr.s.eof(err)
			}
			switch e {
			case '/', '\\', '"':
				c = e
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			default:
				return n, badBody("unexpected escape \\%c in attachment data", e)
			}
		}
		p[n] = c
		n++
	}
	return n, nil
}
