package cargo

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// CrateLimits bound what unpacking a .crate may cost: cargo itself refuses a
// crate that unpacks to more than 512 MiB, so wharf refuses it at publish
// rather than store something no client can build.
type CrateLimits struct {
	MaxUnpacked int64 // sum of the entries' sizes
	MaxEntries  int
}

// DefaultCrateLimits are cargo's own unpack limit and a generous entry count.
func DefaultCrateLimits() CrateLimits {
	return CrateLimits{MaxUnpacked: 512 << 20, MaxEntries: 100_000}
}

// CheckCrate reads a .crate (a gzipped tar) to its end and checks that it is
// the crate it claims to be: every entry is a plain file or directory under
// "{name}-{version}/" with no traversal, "{name}-{version}/Cargo.toml" is
// there, and the unpacked size and entry count stay within the limits (a
// decompression bomb fails early). It reads all of r so that a caller teeing
// the stream to storage sees every byte.
func CheckCrate(r io.Reader, name, version string, lim CrateLimits) error {
	err := checkCrate(r, name, version, lim)
	_, _ = io.Copy(io.Discard, r)
	return err
}

func checkCrate(r io.Reader, name, version string, lim CrateLimits) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("the crate is not a gzip file: %v", err)
	}
	zr.Multistream(false)
	root := name + "-" + version + "/"
	tr := tar.NewReader(zr)
	var total int64
	entries := 0
	manifest := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("the crate is not a valid tar archive: %v", err)
		}
		entries++
		if entries > lim.MaxEntries {
			return fmt.Errorf("the crate has more than %d entries", lim.MaxEntries)
		}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		case tar.TypeXGlobalHeader:
			continue
		default:
			return fmt.Errorf("the crate entry %q is not a regular file or directory", h.Name)
		}
		n := strings.TrimPrefix(h.Name, "./")
		if strings.ContainsAny(n, "\\\x00") || strings.HasPrefix(n, "/") {
			return fmt.Errorf("the crate entry %q is not a relative path", h.Name)
		}
		for _, seg := range strings.Split(n, "/") {
			if seg == ".." {
				return fmt.Errorf("the crate entry %q climbs out of its directory", h.Name)
			}
		}
		clean := path.Clean(n)
		if clean != strings.TrimSuffix(root, "/") && !strings.HasPrefix(clean, root) {
			return fmt.Errorf("the crate entry %q is not under %s", h.Name, root)
		}
		if h.Size < 0 || total+h.Size > lim.MaxUnpacked {
			return fmt.Errorf("the crate unpacks to more than %d bytes", lim.MaxUnpacked)
		}
		// Read (not trust) the entry: the sizes add up to what is decompressed.
		read, err := io.Copy(io.Discard, tr)
		if err != nil {
			return fmt.Errorf("the crate entry %q is cut short: %v", h.Name, err)
		}
		total += read
		if clean == root+"Cargo.toml" && h.Typeflag == tar.TypeReg {
			manifest = true
		}
	}
	if !manifest {
		return fmt.Errorf("the crate has no %sCargo.toml", root)
	}
	// Trailing data inside the gzip stream after the tar end is read too,
	// bounded by the same limit.
	if _, err := io.Copy(io.Discard, io.LimitReader(zr, lim.MaxUnpacked-total+1)); err != nil {
		return fmt.Errorf("the crate's gzip stream is corrupt: %v", err)
	}
	return nil
}
