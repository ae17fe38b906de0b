package pypi

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is PyPI's part of the package engine's pull-through
// (packages.Format): an index keeps a project's page at simple/{project}/
// (PEP 691 JSON or PEP 503 HTML), listing each file with its SHA-256.
type Format struct{}

var _ packages.Format = Format{}

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatPypi }

// Metadata implements packages.Format: the project page.
func (Format) Metadata(_, name string) packages.Document {
	return packages.Document{Name: "project page", Path: "simple/" + url.PathEscape(name) + "/",
		Accept: TypeJSON + ", " + TypeHTMLv1 + ";q=0.1, text/html;q=0.01", Valid: validPage}
}

// Parse implements packages.Format. Files of other projects are dropped: a
// page may not smuggle them in.
func (Format) Parse(_, name string, doc upstream.Doc) (packages.Listing, error) {
	files, err := ParseProject(doc.Body, doc.ContentType, doc.URL)
	if err != nil {
		return nil, err
	}
	l := &Listing{name: name}
	for _, f := range files {
		if p, _, ok := ParseFilename(f.Filename); ok && Normalize(p) == name {
			l.Files = append(l.Files, f)
		}
	}
	return l, nil
}

// Listing is a project page from an external index; URLs are upstream URLs.
type Listing struct {
	Files []File
	name  string
}

// Versions implements packages.Listing.
func (l *Listing) Versions() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range l.Files {
		if _, v, ok := ParseFilename(f.Filename); ok && ValidVersion(v) && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Locate implements packages.Listing: the file, its SHA-256 from the page,
// and the version row an ingestion stores.
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	for _, f := range l.Files {
		if f.Filename != file || !FileMatches(file, l.name, version) {
			continue
		}
		sum, err := hex.DecodeString(f.SHA256)
		if err != nil || len(sum) != 32 {
			// "Kept once its hash is verified": with nothing to verify against,
			// the file is served neither from nor into the domain.
			return packages.Located{}, apperr.New(apperr.Internal, "the upstream index lists %s without a sha256 hash; refusing to store it", file).Wrap(upstream.ErrUnavailable)
		}
		meta := Meta{Name: l.name, Version: version, RequiresPython: f.RequiresPython,
			Files: map[string]FileMeta{file: {RequiresPython: f.RequiresPython}}}
		v := model.PackageVersion{Version: version, DisplayName: l.name, Metadata: mustJSON(meta)}
		return packages.Located{URL: f.URL, Digest: packages.Digest{Alg: "sha256", Sum: sum}, Version: v}, nil
	}
	return packages.Located{}, apperr.NotFoundf("asset", file, "%s is not on the upstream project page of %s", file, l.name)
}

// validPage keeps a cut-short or garbled answer out of the metadata cache: a
// PEP 691 page must be JSON, an HTML page must at least look like markup (it
// has no end marker to check; its files are verified by hash anyway).
func validPage(contentType string, b []byte) error {
	t := bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))) // a UTF-8 byte order mark is allowed
	if strings.Contains(strings.ToLower(contentType), "json") || (len(t) > 0 && t[0] == '{') {
		if !json.Valid(t) {
			return errors.New("PEP 691 project page is not valid JSON")
		}
		return nil
	}
	if len(t) > 0 && (t[0] != '<' || !utf8.Valid(t)) {
		return errors.New("project page is neither JSON nor HTML")
	}
	return nil
}
