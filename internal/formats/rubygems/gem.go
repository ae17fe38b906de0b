package rubygems

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Limits bound what reading a .gem may cost.
type Limits struct {
	MaxMetadata int64 // metadata.gz and checksums.yaml.gz, decompressed
	MaxUnpacked int64 // data.tar.gz's entries together
	MaxEntries  int
}

// DefaultLimits: gemspecs are kilobytes; 1 GiB unpacked covers the largest
// native gems.
func DefaultLimits() Limits {
	return Limits{MaxMetadata: 4 << 20, MaxUnpacked: 1 << 30, MaxEntries: 100_000}
}

// ReadGem reads a .gem (a tar of metadata.gz, data.tar.gz and
// checksums.yaml.gz, plus signatures) to its end and returns its spec once
// it is the gem it claims to be: the gemspec parses; data.tar.gz is a gzipped
// tar of relative paths with no traversal, within the limits (a bomb fails
// early); the digests checksums.yaml.gz lists match. It reads all of r so that
// a caller teeing the stream to storage sees every byte.
func ReadGem(r io.Reader, lim Limits) (Spec, error) {
	s, err := readGem(r, lim)
	_, _ = io.Copy(io.Discard, r)
	return s, err
}

func readGem(r io.Reader, lim Limits) (Spec, error) {
	tr := tar.NewReader(r)
	var meta []byte
	var sums map[string]map[string]string
	digests := map[string]map[string]string{} // file → alg → hex
	haveData := false
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Spec{}, fmt.Errorf("the gem is not a tar archive: %v", err)
		}
		if n > 16 {
			return Spec{}, errors.New("the gem has too many entries")
		}
		if h.Typeflag != tar.TypeReg {
			return Spec{}, fmt.Errorf("the gem entry %q is not a regular file", h.Name)
		}
		d := newDigests()
		body := io.TeeReader(tr, d)
		switch {
		case h.Name == "metadata.gz" && meta == nil:
			if meta, err = gunzipEntry(h, body, lim.MaxMetadata); err != nil {
				return Spec{}, fmt.Errorf("metadata.gz: %v", err)
			}
		case h.Name == "checksums.yaml.gz" && sums == nil:
			b, err := gunzipEntry(h, body, lim.MaxMetadata)
			if err != nil {
				return Spec{}, fmt.Errorf("checksums.yaml.gz: %v", err)
			}
			if err := yaml.Unmarshal(b, &sums); err != nil {
				return Spec{}, fmt.Errorf("checksums.yaml.gz is not a checksum list: %v", err)
			}
			if sums == nil {
				sums = map[string]map[string]string{}
			}
		case h.Name == "data.tar.gz" && !haveData:
			haveData = true
			if err := checkData(body, lim); err != nil {
				return Spec{}, err
			}
		case strings.HasSuffix(h.Name, ".sig") && !strings.ContainsAny(h.Name, "/\\"):
			// Signatures of the entries above; RubyGems checks them under a
			// trust policy, wharf keeps them as they are.
		default:
			return Spec{}, fmt.Errorf("unexpected gem entry %q", h.Name)
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			return Spec{}, fmt.Errorf("the gem entry %q is cut short: %v", h.Name, err)
		}
		digests[h.Name] = d.hex()
	}
	if meta == nil || !haveData {
		return Spec{}, errors.New("the gem has no metadata.gz or no data.tar.gz")
	}
	for alg, files := range sums {
		a := strings.ToUpper(alg)
		if a != "SHA256" && a != "SHA512" {
			continue // SHA1 in old gems: not a check worth making
		}
		for file, want := range files {
			got, ok := digests[file]
			if !ok {
				return Spec{}, fmt.Errorf("checksums.yaml.gz lists %s, which the gem does not have", file)
			}
			if !strings.EqualFold(got[a], want) {
				return Spec{}, fmt.Errorf("%s of %s is %s, checksums.yaml.gz says %s", a, file, got[a], want)
			}
		}
	}
	return ParseSpec(meta)
}

// checkData reads data.tar.gz: relative paths without traversal; links only
// to targets inside the gem; within the unpack limits.
func checkData(r io.Reader, lim Limits) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("data.tar.gz is not gzip: %v", err)
	}
	tr := tar.NewReader(zr)
	var total int64
	for n := 1; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("data.tar.gz is not a tar archive: %v", err)
		}
		if n > lim.MaxEntries {
			return fmt.Errorf("data.tar.gz has more than %d entries", lim.MaxEntries)
		}
		if err := relPath(h.Name); err != nil {
			return fmt.Errorf("data.tar.gz entry %q %v", h.Name, err)
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		case tar.TypeSymlink:
			if err := relPath(path.Join(path.Dir(h.Name), h.Linkname)); err != nil || path.IsAbs(h.Linkname) {
				return fmt.Errorf("data.tar.gz link %q points outside the gem", h.Name)
			}
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("data.tar.gz entry %q is not a file, directory or link", h.Name)
		}
		if h.Size < 0 || total+h.Size > lim.MaxUnpacked {
			return fmt.Errorf("data.tar.gz unpacks to more than %d bytes", lim.MaxUnpacked)
		}
		read, err := io.Copy(io.Discard, tr)
		if err != nil {
			return fmt.Errorf("data.tar.gz entry %q is cut short: %v", h.Name, err)
		}
		total += read
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(zr, lim.MaxUnpacked-total+1)); err != nil {
		return fmt.Errorf("data.tar.gz's gzip stream is corrupt: %v", err)
	}
	return nil
}

func relPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return errors.New("is not a relative path")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return errors.New("climbs out of the gem")
		}
	}
	return nil
}

// gunzipEntry decompresses a gem's gzipped entry (metadata.gz,
// checksums.yaml.gz) of at most max bytes decompressed. The entry's own size
// is bounded first: a gzip stream can be any length and inflate to nothing
// (empty deflate blocks), so the decompressed limit alone would let a client
// send up to --max-publish-bytes of it, which push also holds in memory.
func gunzipEntry(h *tar.Header, r io.Reader, max int64) ([]byte, error) {
	if h.Size > maxGzipped(max) {
		return nil, fmt.Errorf("%d bytes compressed, more than %d bytes can compress to (the limit is %d bytes decompressed)", h.Size, max, max)
	}
	return gunzipAll(r, max)
}

// maxGzipped is the largest gzip stream of at most n decompressed bytes a
// compressor writes: deflate expands data by at most 1/8 (fixed Huffman
// codes of 9 bits a byte; stored blocks add 5 bytes per 64 KiB), and 64 KiB
// covers the gzip header's optional name, comment and extra field.
func maxGzipped(n int64) int64 { return n + n/8 + 64<<10 }

// gunzipAll decompresses r, refusing more than max bytes.
func gunzipAll(r io.Reader, max int64) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(zr, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("larger than %d bytes decompressed", max)
	}
	return b, nil
}

type digests struct{ s256, s512 hash.Hash }

func newDigests() *digests { return &digests{sha256.New(), sha512.New()} }

func (d *digests) Write(p []byte) (int, error) {
	d.s256.Write(p)
	d.s512.Write(p)
	return len(p), nil
}

func (d *digests) hex() map[string]string {
	return map[string]string{"SHA256": hex.EncodeToString(d.s256.Sum(nil)), "SHA512": hex.EncodeToString(d.s512.Sum(nil))}
}

// ReadGemBytes is ReadGem on a byte slice (tests, fuzzing).
func ReadGemBytes(b []byte, lim Limits) (Spec, error) { return ReadGem(bytes.NewReader(b), lim) }
