package nuget

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/formats/streamcheck"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Proxying public:nuget-org. The connection's URL is the feed's v3 service
// index (what users paste as a NuGet source, e.g. …/v3/index.json); the
// handler reads it (as cargo reads config.json) for PackageBaseAddress/3.0.0
// (the flat container: versions and .nupkg) and RegistrationsBaseUrl (the
// registration leaf, whose packageHash verifies the .nupkg). Those absolute
// URLs are what Format's documents and assets are addressed by.

// Feed is what a connection's service index says, shared by the handler
// (which reads the index) and the Format registered with the engine (whose
// shadowing check lists upstream versions through it).
type Feed struct {
	mu        sync.RWMutex
	flat, reg string
	Limits    Limits
	MaxNupkg  int64
}

// Set records the service index's resources (absolute, ending in "/").
func (f *Feed) Set(flat, reg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flat, f.reg = flat, reg
}

func (f *Feed) get() (flat, reg string) {
	if f == nil {
		return "", ""
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.flat, f.reg
}

// upstreamIndex is the part of a v3 service index wharf reads.
type upstreamIndex struct {
	Version   string `json:"version"`
	Resources []struct {
		ID   string `json:"@id"`
		Type string `json:"@type"`
	} `json:"resources"`
}

// ParseServiceIndex reads a v3 service index for the flat container and the
// registrations base (the first of the RegistrationsBaseUrl variants listed;
// "" when none: packages are then verified by their content only).
func ParseServiceIndex(b []byte) (flat, reg string, err error) {
	var si upstreamIndex
	if err := json.Unmarshal(b, &si); err != nil {
		return "", "", fmt.Errorf("service index: %v", err)
	}
	if !strings.HasPrefix(si.Version, "3.") {
		return "", "", fmt.Errorf("service index version %q is not 3.x", si.Version)
	}
	slash := func(s string) string {
		if !strings.HasSuffix(s, "/") {
			s += "/"
		}
		return s
	}
	for _, r := range si.Resources {
		switch {
		case r.Type == "PackageBaseAddress/3.0.0" && flat == "":
			flat = slash(r.ID)
		case strings.HasPrefix(r.Type, "RegistrationsBaseUrl") && reg == "":
			reg = slash(r.ID)
		}
	}
	if flat == "" {
		return "", "", errors.New("service index lists no PackageBaseAddress/3.0.0")
	}
	return flat, reg, nil
}

// FlatIndex is a flat container's {id}/index.json.
type FlatIndex struct {
	Versions []string `json:"versions"`
}

// ParseFlatIndex reads a flat container index: its versions normalized,
// without duplicates (by case). A version that is not a NuGet version makes
// the document unusable.
func ParseFlatIndex(b []byte) ([]string, error) {
	var fi FlatIndex
	if err := json.Unmarshal(b, &fi); err != nil {
		return nil, fmt.Errorf("flat container index: %v", err)
	}
	if fi.Versions == nil {
		return nil, errors.New("flat container index has no versions")
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range fi.Versions {
		n, ok := NormalizeVersion(v)
		if !ok {
			return nil, fmt.Errorf("flat container index lists %q, not a NuGet version", v)
		}
		if seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		out = append(out, n)
	}
	return out, nil
}

// PackageHash reads the SHA-512 of a package from a registration leaf or a
// catalog leaf: packageHash at the top (catalog leaf) or in an inlined
// catalogEntry (registration leaf). nil, nil when the document carries none
// (nuget.org's registration leaves link the catalog entry instead).
func PackageHash(b []byte) ([]byte, error) {
	var d struct {
		PackageHash          string          `json:"packageHash"`
		PackageHashAlgorithm string          `json:"packageHashAlgorithm"`
		CatalogEntry         json.RawMessage `json:"catalogEntry"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("registration leaf: %v", err)
	}
	if d.PackageHash == "" && len(d.CatalogEntry) > 0 && d.CatalogEntry[0] == '{' {
		if err := json.Unmarshal(d.CatalogEntry, &d); err != nil {
			return nil, fmt.Errorf("registration leaf catalogEntry: %v", err)
		}
	}
	if d.PackageHash == "" {
		return nil, nil
	}
	if d.PackageHashAlgorithm != "" && !strings.EqualFold(d.PackageHashAlgorithm, "SHA512") {
		return nil, nil // a hash wharf cannot check is no hash
	}
	sum, err := base64.StdEncoding.DecodeString(d.PackageHash)
	if err != nil {
		return nil, fmt.Errorf("packageHash is not base64: %v", err)
	}
	return sum, nil
}

// CatalogLink is a registration leaf's catalogEntry when it links the catalog
// leaf instead of inlining it (nuget.org's leaves): the URL, or "".
func CatalogLink(b []byte) string {
	var d struct {
		CatalogEntry json.RawMessage `json:"catalogEntry"`
	}
	var link string
	if json.Unmarshal(b, &d) != nil || json.Unmarshal(d.CatalogEntry, &link) != nil {
		return ""
	}
	return link
}

// CatalogBase is the service index's Catalog/3.0.0 resource ("" when it
// lists none): its host is trusted for the connection as the flat
// container's is, so that a catalog leaf a registration leaf links there
// can be read for its packageHash.
func CatalogBase(b []byte) string {
	var si upstreamIndex
	if json.Unmarshal(b, &si) != nil {
		return ""
	}
	for _, r := range si.Resources {
		if r.Type == "Catalog/3.0.0" {
			return r.ID
		}
	}
	return ""
}

// Listing is a package as an upstream flat container lists it.
type Listing struct {
	key       string
	flat, reg string
	versions  []string
	feed      *Feed
}

// Versions implements packages.Listing.
func (l *Listing) Versions() []string { return l.versions }

// Locate implements packages.Listing: the .nupkg in the flat container, its
// packageHash from the registration leaf (when the feed has registrations and
// the leaf carries one, inlined or in the catalog leaf it links on a trusted
// host), and in every case a check of the bytes as a push
// gets (one root .nuspec, its id and version those asked for).
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	for _, v := range l.versions {
		lv := strings.ToLower(v)
		if !strings.EqualFold(v, version) || file != NupkgFile(l.key, v) {
			continue
		}
		loc := packages.Located{URL: l.flat + l.key + "/" + lv + "/" + file, ContentVerified: true,
			Version: model.PackageVersion{DisplayName: l.key}, Check: l.check(v)}
		if l.reg != "" {
			loc.Checksums = []packages.ChecksumFile{{Path: l.reg + l.key + "/" + lv + ".json", Alg: "sha512", Extract: PackageHash, Link: CatalogLink}}
		}
		return loc, nil
	}
	return packages.Located{}, apperr.NotFoundf("asset", file, "%s is not in the upstream flat container", file)
}

// check reads the package as it streams to the blob store, as a push is read.
func (l *Listing) check(version string) func(io.Reader) (io.Reader, func(error, *model.PackageVersion) error) {
	lim, max := DefaultLimits(), int64(250<<20)
	if l.feed != nil && l.feed.MaxNupkg > 0 {
		lim, max = l.feed.Limits, l.feed.MaxNupkg
	}
	return func(r io.Reader) (io.Reader, func(error, *model.PackageVersion) error) {
		var n Nuspec
		lr := &io.LimitedReader{R: r, N: max + 1}
		cr := streamcheck.New(lr, func(r io.Reader) error {
			var err error
			if n, err = InspectNupkg(r, lim); err != nil {
				return err
			}
			if Key(n.ID) != l.key || !strings.EqualFold(n.Version, version) {
				return fmt.Errorf("it is %s %s", n.ID, n.Version)
			}
			return nil
		})
		cr.AtEOF = func() error {
			if lr.N <= 0 {
				return fmt.Errorf("the upstream package is larger than %d bytes", max)
			}
			return nil
		}
		return cr, func(putErr error, v *model.PackageVersion) error {
			cr.Stop()
			var ce *streamcheck.CheckError
			if errors.As(cr.Err(), &ce) {
				return apperr.New(apperr.Internal, "the upstream sent %s %s that is not a valid package of that id and version (%v); not stored", l.key, version, ce.Err).Wrap(upstream.ErrUnavailable)
			}
			if putErr != nil {
				return putErr
			}
			*v = VersionOf(n)
			return nil
		}
	}
}
