package nuget

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Limits bound what reading a .nupkg may cost.
type Limits struct {
	// MaxEntries bounds the number of zip entries; MaxUncompressed the sum of
	// their inflated sizes (a zip bomb is refused when it passes it, not after
	// inflating it whole).
	MaxEntries      int
	MaxUncompressed int64
}

// DefaultLimits are generous for real packages (the largest on nuget.org
// inflate to a few hundred MiB).
func DefaultLimits() Limits { return Limits{MaxEntries: 20000, MaxUncompressed: 1 << 30} }

const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigDescriptor = 0x08074b50
)

// InspectNupkg reads a .nupkg front to back as it streams (by its local
// headers: the central directory is at the end, where a stream cannot wait for
// it) and returns its manifest. It is a package when it is a zip whose entry
// names are all relative paths without "..", with exactly one .nuspec at its
// root (what NuGet's PackageArchiveReader requires) named after the id it
// declares, that parses; every entry
// is inflated (counted against lim) so a truncated or bombed archive fails.
func InspectNupkg(r io.Reader, lim Limits) (Nuspec, error) {
	br := bufio.NewReader(r)
	var hdr [26]byte
	var nuspec []byte
	nuspecs := 0
	nuspecName := ""
	var total int64
	for entries := 0; ; entries++ {
		var sig [4]byte
		if _, err := io.ReadFull(br, sig[:]); err != nil {
			return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
		}
		switch binary.LittleEndian.Uint32(sig[:]) {
		case sigLocal:
		case sigCentral, sigEnd, sigEnd64:
			if entries == 0 {
				return Nuspec{}, fmt.Errorf("%w: the zip archive is empty", errNotNupkg)
			}
			if nuspecs != 1 {
				return Nuspec{}, fmt.Errorf("%w: it has %d .nuspec files at its root, not one", errNotNupkg, nuspecs)
			}
			_, _ = io.Copy(io.Discard, br)
			n, err := ParseNuspec(nuspec)
			if err == nil && !strings.EqualFold(nuspecName, n.ID+".nuspec") {
				return Nuspec{}, fmt.Errorf("%w: its manifest %s names the package %s (dotnet pack and nuget pack write {id}.nuspec)", errNotNupkg, nuspecName, n.ID)
			}
			return n, err
		default:
			return Nuspec{}, fmt.Errorf("%w: not a zip archive", errNotNupkg)
		}
		if entries >= lim.MaxEntries {
			return Nuspec{}, fmt.Errorf("%w: more than %d zip entries", errNotNupkg, lim.MaxEntries)
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
		}
		flags := binary.LittleEndian.Uint16(hdr[2:])
		method := binary.LittleEndian.Uint16(hdr[4:])
		csize := uint64(binary.LittleEndian.Uint32(hdr[14:]))
		nameLen := int(binary.LittleEndian.Uint16(hdr[22:]))
		extraLen := int(binary.LittleEndian.Uint16(hdr[24:]))
		nb := make([]byte, nameLen+extraLen)
		if _, err := io.ReadFull(br, nb); err != nil {
			return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
		}
		name, extra := string(nb[:nameLen]), nb[nameLen:]
		if err := checkEntryName(name); err != nil {
			return Nuspec{}, err
		}
		zip64 := false
		if csize == 0xFFFFFFFF {
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
				return Nuspec{}, fmt.Errorf("%w: zip entry %q has no zip64 sizes", errNotNupkg, name)
			}
		}
		if method != 0 && method != 8 {
			return Nuspec{}, fmt.Errorf("%w: zip entry %q uses compression method %d (packages use stored or deflate)", errNotNupkg, name, method)
		}
		descriptor := flags&0x8 != 0
		var body io.Reader
		switch {
		case !descriptor:
			body = io.LimitReader(br, int64(csize))
		case method == 8:
			body = br // inflating stops at the end of the deflate stream
		default:
			return Nuspec{}, fmt.Errorf("%w: zip entry %q is stored with a data descriptor, which cannot be read as a stream", errNotNupkg, name)
		}
		content := body
		var fr io.ReadCloser
		if method == 8 {
			fr = flate.NewReader(body)
			content = fr
		}
		left := lim.MaxUncompressed - total
		isNuspec := !strings.Contains(name, "/") && strings.HasSuffix(strings.ToLower(name), ".nuspec")
		var sink io.Writer = io.Discard
		var buf bytes.Buffer
		if isNuspec {
			nuspecs++
			nuspecName = name
			sink = &limitedBuffer{b: &buf, n: MaxNuspecBytes}
		}
		n, err := io.Copy(sink, io.LimitReader(content, left+1))
		total += n
		if total > lim.MaxUncompressed {
			return Nuspec{}, fmt.Errorf("%w: it inflates to more than %d bytes", errNotNupkg, lim.MaxUncompressed)
		}
		if err != nil {
			return Nuspec{}, fmt.Errorf("%w: zip entry %q: %v", errNotNupkg, name, err)
		}
		if isNuspec {
			nuspec = buf.Bytes()
		}
		if fr != nil {
			fr.Close()
		}
		if !descriptor {
			if _, err := io.Copy(io.Discard, body); err != nil {
				return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
			}
			continue
		}
		var d [4]byte
		if _, err := io.ReadFull(br, d[:]); err != nil {
			return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
		}
		rest := 8
		if zip64 {
			rest = 16
		}
		if binary.LittleEndian.Uint32(d[:]) == sigDescriptor {
			rest += 4
		}
		if _, err := io.CopyN(io.Discard, br, int64(rest)); err != nil {
			return Nuspec{}, fmt.Errorf("%w: truncated zip archive", errNotNupkg)
		}
	}
}

// checkEntryName refuses entry names that would leave the package's folder
// when a client extracts it.
func checkEntryName(name string) error {
	n := strings.ReplaceAll(name, `\`, "/")
	if n == "" || strings.HasPrefix(n, "/") || strings.Contains(n, ":") || strings.ContainsRune(n, 0) {
		return fmt.Errorf("%w: zip entry %q is not a relative path", errNotNupkg, name)
	}
	for _, seg := range strings.Split(n, "/") {
		if seg == ".." {
			return fmt.Errorf("%w: zip entry %q leaves the package (path traversal)", errNotNupkg, name)
		}
	}
	return nil
}

type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > l.n {
		return 0, fmt.Errorf("the .nuspec is larger than %d bytes", l.n)
	}
	return l.b.Write(p)
}
