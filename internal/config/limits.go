package config

import (
	"flag"
	"fmt"
)

// Limits are the size limits of what clients and upstreams send, one per field
// that is held in memory or stored outside the blob store. Every one has a flag;
// docs/limits.md lists them with their defaults. Bodies that stream into the
// blob store (tarballs, wheels, jars) are bounded by --max-publish-bytes and
// UpstreamMaxAssetBytes instead.
type Limits struct {
	// npm publish (PUT /{package}): everything but the attachment's base64 data
	// is metadata, held while the body is parsed.
	NpmMaxMetadataBytes    int64 // the whole non-attachment JSON
	NpmMaxReadmeBytes      int64 // one readme (top-level or in a version)
	NpmMaxDescriptionBytes int64 // a version's description
	NpmMaxVersions         int   // version documents in one publish body
	NpmMaxAttachments      int   // attachments in one publish body

	// PyPI upload form (POST /legacy/ multipart): every field but the file.
	PypiMaxFields     int   // number of form fields
	PypiMaxFieldBytes int64 // one field (the long description is the biggest)
	PypiMaxFormBytes  int64 // all fields together

	// Maven documents parsed in memory on deploy.
	MavenMaxPomBytes      int64
	MavenMaxMetadataBytes int64

	// Upstream documents and assets.
	UpstreamMaxMetadataBytes int64 // packument, simple page, maven-metadata.xml
	UpstreamMaxAssetBytes    int64 // tarball, wheel, jar
}

// DefaultLimits are the limits wharf starts with.
func DefaultLimits() Limits {
	return Limits{
		NpmMaxMetadataBytes:      16 << 20,
		NpmMaxReadmeBytes:        1 << 20,
		NpmMaxDescriptionBytes:   64 << 10,
		NpmMaxVersions:           1,
		NpmMaxAttachments:        1,
		PypiMaxFields:            1024,
		PypiMaxFieldBytes:        1 << 20,
		PypiMaxFormBytes:         8 << 20,
		MavenMaxPomBytes:         16 << 20,
		MavenMaxMetadataBytes:    4 << 20,
		UpstreamMaxMetadataBytes: 64 << 20,
		UpstreamMaxAssetBytes:    2 << 30,
	}
}

func (l *Limits) register(fs *flag.FlagSet) {
	d := DefaultLimits()
	fs.Int64Var(&l.NpmMaxMetadataBytes, "npm-max-metadata-bytes", d.NpmMaxMetadataBytes, "npm publish: largest body apart from the tarball (versions, readme, ...), in bytes")
	fs.Int64Var(&l.NpmMaxReadmeBytes, "npm-max-readme-bytes", d.NpmMaxReadmeBytes, "npm: largest readme accepted on publish, in bytes (longer upstream readmes are cut to this)")
	fs.Int64Var(&l.NpmMaxDescriptionBytes, "npm-max-description-bytes", d.NpmMaxDescriptionBytes, "npm publish: largest version description, in bytes")
	fs.IntVar(&l.NpmMaxVersions, "npm-max-versions", d.NpmMaxVersions, "npm publish: most version documents in one publish body")
	fs.IntVar(&l.NpmMaxAttachments, "npm-max-attachments", d.NpmMaxAttachments, "npm publish: most attachments in one publish body")
	fs.IntVar(&l.PypiMaxFields, "pypi-max-fields", d.PypiMaxFields, "PyPI upload: most form fields")
	fs.Int64Var(&l.PypiMaxFieldBytes, "pypi-max-field-bytes", d.PypiMaxFieldBytes, "PyPI upload: largest form field (e.g. the description), in bytes")
	fs.Int64Var(&l.PypiMaxFormBytes, "pypi-max-form-bytes", d.PypiMaxFormBytes, "PyPI upload: all form fields but the file together, in bytes")
	fs.Int64Var(&l.MavenMaxPomBytes, "maven-max-pom-bytes", d.MavenMaxPomBytes, "Maven deploy: largest POM, in bytes")
	fs.Int64Var(&l.MavenMaxMetadataBytes, "maven-max-metadata-bytes", d.MavenMaxMetadataBytes, "Maven deploy: largest maven-metadata.xml, in bytes")
	fs.Int64Var(&l.UpstreamMaxMetadataBytes, "upstream-max-metadata-bytes", d.UpstreamMaxMetadataBytes, "largest upstream metadata document (packument, simple page), in bytes")
	fs.Int64Var(&l.UpstreamMaxAssetBytes, "upstream-max-asset-bytes", d.UpstreamMaxAssetBytes, "largest upstream package file (tarball, wheel, jar), in bytes")
}

func (l *Limits) validate() []error {
	var errs []error
	for name, v := range map[string]int64{
		"npm-max-metadata-bytes": l.NpmMaxMetadataBytes, "npm-max-readme-bytes": l.NpmMaxReadmeBytes,
		"npm-max-description-bytes": l.NpmMaxDescriptionBytes, "npm-max-versions": int64(l.NpmMaxVersions),
		"npm-max-attachments": int64(l.NpmMaxAttachments), "pypi-max-fields": int64(l.PypiMaxFields),
		"pypi-max-field-bytes": l.PypiMaxFieldBytes, "pypi-max-form-bytes": l.PypiMaxFormBytes,
		"maven-max-pom-bytes": l.MavenMaxPomBytes, "maven-max-metadata-bytes": l.MavenMaxMetadataBytes,
		"upstream-max-metadata-bytes": l.UpstreamMaxMetadataBytes, "upstream-max-asset-bytes": l.UpstreamMaxAssetBytes,
	} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive", name))
		}
	}
	return errs
}
