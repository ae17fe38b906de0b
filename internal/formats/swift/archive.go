package swift

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// ArchiveLimits bound what checking a source archive may cost.
type ArchiveLimits struct {
	MaxUnpacked     int64 // sum of the entries' decompressed sizes (read, not trusted)
	MaxEntries      int
	MaxManifestSize int64 // each Package.swift / Package@swift-*.swift kept
	MaxManifests    int
}

// DefaultArchiveLimits are generous for source code and stop a zip bomb.
func DefaultArchiveLimits() ArchiveLimits {
	return ArchiveLimits{MaxUnpacked: 512 << 20, MaxEntries: 100_000, MaxManifestSize: 1 << 20, MaxManifests: 32}
}

// Manifest is a manifest found at the top directory of an archive.
type Manifest struct {
	SwiftVersion string // "" for Package.swift
	Body         []byte
}

// CheckArchive checks that a source archive is what the registry serves:
// a zip whose entries are relative paths without traversal under one top
// directory (SwiftPM strips the first level when it unpacks a download)
// with Package.swift directly in it, within the limits. It returns the
// manifests of that directory, sorted (Package.swift first).
func CheckArchive(ra io.ReaderAt, size int64, lim ArchiveLimits) ([]Manifest, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("the source archive is not a zip file: %v", err)
	}
	if len(zr.File) == 0 {
		return nil, errors.New("the source archive is empty")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fmt.Errorf("the source archive has more than %d entries", lim.MaxEntries)
	}
	top := ""
	var total int64
	var out []Manifest
	for _, f := range zr.File {
		n := f.Name
		if n == "" || strings.ContainsAny(n, "\\\x00") || strings.HasPrefix(n, "/") || (len(n) > 1 && n[1] == ':') {
			return nil, fmt.Errorf("the source archive entry %q is not a relative path", n)
		}
		segs := strings.Split(strings.TrimSuffix(n, "/"), "/")
		for _, s := range segs {
			if s == ".." || s == "." || s == "" {
				return nil, fmt.Errorf("the source archive entry %q is not a clean relative path", n)
			}
		}
		if top == "" {
			top = segs[0]
		} else if segs[0] != top {
			return nil, fmt.Errorf("the source archive has more than one top-level directory (%q and %q)", top, segs[0])
		}
		mode := f.Mode()
		if !mode.IsRegular() && !mode.IsDir() {
			return nil, fmt.Errorf("the source archive entry %q is not a regular file or directory", n)
		}
		if mode.IsDir() || strings.HasSuffix(n, "/") {
			continue
		}
		if len(segs) == 1 {
			return nil, fmt.Errorf("the source archive entry %q is not in a top-level directory", n)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("the source archive entry %q cannot be read: %v", n, err)
		}
		manifest := false
		var sv string
		if len(segs) == 2 {
			sv, manifest = manifestVersion(segs[1])
		}
		var body []byte
		var read int64
		if manifest {
			body, err = io.ReadAll(io.LimitReader(rc, lim.MaxManifestSize+1))
			read = int64(len(body))
			if err == nil && read > lim.MaxManifestSize {
				err = fmt.Errorf("larger than %d bytes", lim.MaxManifestSize)
			}
		} else {
			// Read (not trust) the entry, never past what the limit allows.
			read, err = io.Copy(io.Discard, io.LimitReader(rc, lim.MaxUnpacked-total+1))
		}
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("the source archive entry %q is corrupt: %v", n, err)
		}
		total += read
		if total > lim.MaxUnpacked {
			return nil, fmt.Errorf("the source archive unpacks to more than %d bytes", lim.MaxUnpacked)
		}
		if manifest {
			if len(out) >= lim.MaxManifests {
				return nil, fmt.Errorf("the source archive has more than %d manifests", lim.MaxManifests)
			}
			out = append(out, Manifest{SwiftVersion: sv, Body: body})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SwiftVersion < out[j].SwiftVersion })
	for i := 1; i < len(out); i++ {
		if out[i].SwiftVersion == out[i-1].SwiftVersion {
			return nil, fmt.Errorf("the source archive has %s twice", ManifestFile(out[i].SwiftVersion))
		}
	}
	if len(out) == 0 || out[0].SwiftVersion != "" {
		return nil, fmt.Errorf("the source archive has no Package.swift in its top-level directory %q", top)
	}
	return out, nil
}
