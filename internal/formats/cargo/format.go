package cargo

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is Cargo's part of the package engine's pull-through
// (packages.Format): a sparse index keeps a crate's versions in one index
// file, each with the sha256 ("cksum") its .crate must have; the .crate is
// where the index's config.json "dl" template says.
type Format struct {
	// DL maps an upstream index's root URL (ending in "/") to its config.json
	// dl template. The handler reads config.json (I/O) before asking the
	// engine to fetch; without an entry, Locate refuses.
	DL map[string]string
	// DLErr is why an upstream's config.json could not be read (same keys):
	// what Locate answers instead of a bare refusal.
	DLErr map[string]error
}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatCargo }

// Metadata implements packages.Format: the crate's index file.
func (Format) Metadata(_, name string) packages.Document {
	return packages.Document{Name: "index file", Path: IndexPath(name), Valid: ValidIndexBody(name)}
}

// Parse implements packages.Format.
func (f Format) Parse(_, name string, doc upstream.Doc) (packages.Listing, error) {
	es, err := ParseIndex(name, doc.Body)
	if err != nil {
		return nil, err
	}
	root := strings.TrimSuffix(doc.URL, IndexPath(name))
	return &Listing{Entries: es, dl: f.DL[root], dlErr: f.DLErr[root], root: root}, nil
}

// Listing is a crate's index file on an external registry.
type Listing struct {
	Entries []Entry
	dl      string
	dlErr   error
	root    string
}

// Versions implements packages.Listing.
func (l *Listing) Versions() []string {
	out := make([]string, len(l.Entries))
	for i, e := range l.Entries {
		out[i] = e.Vers
	}
	return out
}

// Locate implements packages.Listing: the .crate at the dl location, its
// cksum, and the version row an ingestion stores (the index entry).
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	for _, e := range l.Entries {
		if e.Vers != version || file != CrateFile(Key(e.Name), e.Vers) {
			continue
		}
		if l.dl == "" && l.dlErr != nil {
			return packages.Located{}, apperr.New(apperr.Internal, "no download location known for the index at %s: %v", l.root, l.dlErr).Wrap(errors.Join(upstream.ErrUnavailable, l.dlErr))
		}
		if l.dl == "" {
			return packages.Located{}, apperr.New(apperr.Internal, "no download location known for the index at %s (its config.json was not read)", l.root).Wrap(upstream.ErrUnavailable)
		}
		sum, err := hex.DecodeString(e.Cksum)
		if err != nil || len(sum) != 32 {
			return packages.Located{}, apperr.New(apperr.Internal, "%s", fmt.Sprintf("the upstream index lists %s %s without a usable cksum", e.Name, e.Vers)).Wrap(upstream.ErrUnavailable)
		}
		v := versionOf(e, nil)
		return packages.Located{URL: DownloadURL(l.dl, e.Name, e.Vers, e.Cksum), Digest: packages.Digest{Alg: "sha256", Sum: sum}, Version: v}, nil
	}
	return packages.Located{}, apperr.NotFoundf("asset", file, "%s is not in the upstream index of the crate", file)
}
