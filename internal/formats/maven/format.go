package maven

import (
	"github.com/wharf-dev/wharf/internal/apperr"
	"github.com/wharf-dev/wharf/internal/model"
	"github.com/wharf-dev/wharf/internal/packages"
	"github.com/wharf-dev/wharf/internal/upstream"
)

// Format is Maven's part of the package engine's pull-through
// (packages.Format): a repository keeps group/artifact/maven-metadata.xml
// listing an artifact's versions, and every file at its layout path with its
// digest in a checksum file beside it (.sha1 everywhere; some repositories
// publish .sha256, .sha512 or only .md5).
type Format struct{}

var (
	_ packages.Format  = Format{}
	_ packages.Locator = Format{}
)

// Kind implements packages.Format.
func (Format) Kind() model.Format { return model.FormatMaven }

// Metadata implements packages.Format: the artifact's maven-metadata.xml.
func (Format) Metadata(group, artifact string) packages.Document {
	return packages.Document{Name: MetadataFile, Path: GroupPath(group) + "/" + artifact + "/" + MetadataFile,
		Valid: func(_ string, b []byte) error { _, err := ParseMetadata(b); return err }}
}

// Parse implements packages.Format.
func (Format) Parse(_, _ string, doc upstream.Doc) (packages.Listing, error) {
	m, err := ParseMetadata(doc.Body)
	if err != nil {
		return nil, err
	}
	return &Listing{Metadata: m}, nil
}

// Locate implements packages.Locator: a file is fetched by its layout path
// and verified against the first checksum file the upstream publishes.
// .sha1 comes first because every Maven repository publishes it (one
// request in the usual case).
func (Format) Locate(group, artifact, version, file string) (packages.Located, error) {
	rel := FilePath(group, artifact, version, file)
	loc := packages.Located{URL: rel, Version: model.PackageVersion{Version: version}}
	for _, alg := range []string{"sha1", "sha256", "sha512", "md5"} {
		loc.Checksums = append(loc.Checksums, packages.ChecksumFile{Path: rel + "." + alg, Alg: alg})
	}
	return loc, nil
}

// Listing is an upstream maven-metadata.xml.
type Listing struct{ Metadata Metadata }

// Versions implements packages.Listing.
func (l *Listing) Versions() []string {
	if l.Metadata.Versioning == nil {
		return nil
	}
	return l.Metadata.Versioning.Versions
}

// Locate implements packages.Listing; Maven files are located by path
// (Format.Locate), never through the listing.
func (l *Listing) Locate(version, file string) (packages.Located, error) {
	return packages.Located{}, apperr.NotFoundf("asset", file, "maven files are located by path")
}
