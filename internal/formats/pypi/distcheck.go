package pypi

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"regexp"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
)

// maxCoreMetadata bounds the METADATA / PKG-INFO bytes read from a
// distribution (the headers come first; the long description after them is
// not needed).
const maxCoreMetadata = 1 << 20

// errNotDist marks an upload whose bytes are not a distribution of the
// project and version it claims.
var errNotDist = errors.New("not a distribution of the claimed project")

// distChecker inspects a distribution file as it streams past, in a goroutine
// fed through a pipe, and fails the read that would end the stream when the
// bytes are not a wheel/sdist of name and version: the blob store Put reading
// from it then stores nothing. Close it when done (it ends the goroutine if
// the stream was abandoned).
type distChecker struct {
	r    io.Reader
	pw   *io.PipeWriter
	done chan error
	res  error
	got  bool
}

func newDistChecker(r io.Reader, filename, name, version string) *distChecker {
	pr, pw := io.Pipe()
	d := &distChecker{r: r, pw: pw, done: make(chan error, 1)}
	go func() {
		err := InspectDist(pr, filename, name, version)
		d.done <- err
		_, _ = io.Copy(io.Discard, pr) // keep the stream flowing after the verdict
	}()
	return d
}

func (d *distChecker) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if n > 0 {
		if _, werr := d.pw.Write(p[:n]); werr != nil {
			return n, werr
		}
	}
	switch {
	case err == io.EOF:
		_ = d.pw.Close()
		if v := d.verdict(); v != nil {
			return n, v
		}
	case err != nil:
		d.pw.CloseWithError(err)
	}
	return n, err
}

func (d *distChecker) verdict() error {
	if !d.got {
		d.res, d.got = <-d.done, true
	}
	return d.res
}

// Close ends the inspection if the stream was not read to its end.
func (d *distChecker) Close() {
	d.pw.CloseWithError(errors.New("upload abandoned"))
}

var (
	wheelMetadata = regexp.MustCompile(`^[^/]+\.dist-info/METADATA$`)
	sdistPkgInfo  = regexp.MustCompile(`^[^/]+/PKG-INFO$`)
)

// InspectDist reads a distribution file and checks that it is a wheel, egg or
// sdist whose core metadata (METADATA or PKG-INFO) names project name at
// version. The error is an apperr.Validation wrapping errNotDist. .tar.xz
// sdists are accepted unread (the standard library has no xz).
func InspectDist(r io.Reader, filename, name, version string) error {
	bad := func(format string, args ...any) error {
		return apperr.Validationf("%s is not a valid distribution of %s %s: %s", filename, name, version, fmt.Sprintf(format, args...)).Wrap(errNotDist)
	}
	var meta []byte
	var err error
	switch {
	case strings.HasSuffix(filename, ".whl"):
		meta, err = scanZip(r, wheelMetadata.MatchString)
	case strings.HasSuffix(filename, ".egg"):
		meta, err = scanZip(r, func(n string) bool { return n == "EGG-INFO/PKG-INFO" })
	case strings.HasSuffix(filename, ".zip"):
		meta, err = scanZip(r, sdistPkgInfo.MatchString)
	case strings.HasSuffix(filename, ".tar.gz"), strings.HasSuffix(filename, ".tgz"):
		var gz *gzip.Reader
		if gz, err = gzip.NewReader(r); err == nil {
			meta, err = scanTar(gz)
		}
	case strings.HasSuffix(filename, ".tar.bz2"):
		meta, err = scanTar(bzip2.NewReader(r))
	case strings.HasSuffix(filename, ".tar"):
		meta, err = scanTar(r)
	default:
		return nil
	}
	if err != nil {
		return bad("%v", err)
	}
	if meta == nil {
		return bad("it holds no core metadata (a wheel's .dist-info/METADATA, an sdist's PKG-INFO)")
	}
	n, v, err := ParseCoreMetadata(meta)
	if err != nil {
		return bad("%v", err)
	}
	if Normalize(n) != Normalize(name) || !strings.EqualFold(v, version) {
		return bad("its metadata names %s %s", n, v)
	}
	return nil
}

// ParseCoreMetadata reads Name and Version from core metadata (RFC 822 style
// headers, as in METADATA and PKG-INFO); the body after the headers is not read.
func ParseCoreMetadata(b []byte) (name, version string, err error) {
	if len(b) > maxCoreMetadata {
		b = b[:maxCoreMetadata]
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(b))).ReadMIMEHeader()
	if err != nil && len(h) == 0 {
		return "", "", fmt.Errorf("unreadable core metadata: %v", err)
	}
	name, version = strings.TrimSpace(h.Get("Name")), strings.TrimSpace(h.Get("Version"))
	if name == "" || version == "" {
		return "", "", errors.New("core metadata without Name or Version")
	}
	return name, version, nil
}

// scanTar returns the first PKG-INFO one directory deep.
func scanTar(r io.Reader) ([]byte, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg && sdistPkgInfo.MatchString(strings.TrimPrefix(h.Name, "./")) {
			return readMeta(tr)
		}
	}
}

func readMeta(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCoreMetadata))
	if err != nil {
		return nil, err
	}
	return b, nil
}

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigDescriptor = 0x08074b50
)

// scanZip walks a zip archive front to back by its local headers — the way a
// stream allows, without the central directory at its end — and returns the
// contents of the first entry want accepts (nil if none). Entries with a data
// descriptor are found by inflating them (deflate ends itself); a stored entry
// with a descriptor has no findable end and is an error.
func scanZip(r io.Reader, want func(string) bool) ([]byte, error) {
	br := bufio.NewReader(r)
	var hdr [26]byte
	for {
		var sig [4]byte
		if _, err := io.ReadFull(br, sig[:]); err != nil {
			return nil, fmt.Errorf("truncated zip archive")
		}
		switch binary.LittleEndian.Uint32(sig[:]) {
		case sigLocal:
		case sigCentral, sigEnd, sigEnd64:
			return nil, nil // past the last entry
		default:
			return nil, fmt.Errorf("not a zip archive")
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return nil, fmt.Errorf("truncated zip archive")
		}
		flags := binary.LittleEndian.Uint16(hdr[2:])
		method := binary.LittleEndian.Uint16(hdr[4:])
		csize := uint64(binary.LittleEndian.Uint32(hdr[14:]))
		nameLen := int(binary.LittleEndian.Uint16(hdr[22:]))
		extraLen := int(binary.LittleEndian.Uint16(hdr[24:]))
		nb := make([]byte, nameLen+extraLen)
		if _, err := io.ReadFull(br, nb); err != nil {
			return nil, fmt.Errorf("truncated zip archive")
		}
		name, extra := string(nb[:nameLen]), nb[nameLen:]
		zip64 := false
		if csize == 0xFFFFFFFF {
			// Zip64: the sizes are in extra field 0x0001 (uncompressed, then compressed).
			for len(extra) >= 4 {
				id, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
				if 4+size > len(extra) {
					break
				}
				if id == 1 && size >= 16 {
					csize, zip64 = binary.LittleEndian.Uint64(extra[12:]), true
				}
				extra = extra[4+size:]
			}
			if !zip64 {
				return nil, fmt.Errorf("zip entry %q has no zip64 sizes", name)
			}
		}
		if method != 0 && method != 8 {
			return nil, fmt.Errorf("zip entry %q uses compression method %d (wheels use stored or deflate)", name, method)
		}
		descriptor := flags&0x8 != 0
		var body io.Reader
		switch {
		case !descriptor:
			body = io.LimitReader(br, int64(csize))
		case method == 8:
			body = br // inflating stops at the end of the deflate stream
		default:
			return nil, fmt.Errorf("zip entry %q is stored with a data descriptor, which cannot be read as a stream", name)
		}
		content := body
		var fr io.ReadCloser
		if method == 8 {
			fr = flate.NewReader(body)
			content = fr
		}
		if want(name) {
			b, err := readMeta(content)
			if err != nil {
				return nil, fmt.Errorf("zip entry %q: %v", name, err)
			}
			return b, nil
		}
		if _, err := io.Copy(io.Discard, content); err != nil {
			return nil, fmt.Errorf("zip entry %q: %v", name, err)
		}
		if fr != nil {
			fr.Close()
		}
		if !descriptor {
			if _, err := io.Copy(io.Discard, body); err != nil { // what inflate left of csize
				return nil, fmt.Errorf("truncated zip archive")
			}
			continue
		}
		// Data descriptor: [signature] crc32, compressed and uncompressed size
		// (8 bytes each in zip64).
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return nil, fmt.Errorf("truncated zip archive")
		}
		rest := 8
		if zip64 {
			rest = 16
		}
		if binary.LittleEndian.Uint32(d[:]) == sigDescriptor {
			rest += 4
		}
		if _, err := io.CopyN(io.Discard, br, int64(rest)); err != nil {
			return nil, fmt.Errorf("truncated zip archive")
		}
	}
}
