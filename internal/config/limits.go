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

	// The archives of the newer formats, read as they stream in (publish,
	// and NuGet packages from an upstream): what they may unpack to.
	CargoMaxMetadataBytes int64 // the JSON part of a cargo publish body
	CargoMaxUnpackedBytes int64 // a .crate's entries together
	CargoMaxEntries       int
	GemMaxMetadataBytes   int64 // metadata.gz and checksums.yaml.gz, decompressed
	GemMaxUnpackedBytes   int64 // data.tar.gz's entries together
	GemMaxEntries         int
	NugetMaxUnpackedBytes int64 // a .nupkg's entries inflated together
	NugetMaxEntries       int
	SwiftMaxUnpackedBytes int64 // a source archive's entries together
	SwiftMaxEntries       int
	SwiftMaxManifestBytes int64 // one Package.swift
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
		CargoMaxMetadataBytes:    8 << 20,
		CargoMaxUnpackedBytes:    512 << 20,
		CargoMaxEntries:          100_000,
		GemMaxMetadataBytes:      4 << 20,
		GemMaxUnpackedBytes:      1 << 30,
		GemMaxEntries:            100_000,
		NugetMaxUnpackedBytes:    1 << 30,
		NugetMaxEntries:          20_000,
		SwiftMaxUnpackedBytes:    512 << 20,
		SwiftMaxEntries:          100_000,
		SwiftMaxManifestBytes:    1 << 20,
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
	fs.Int64Var(&l.CargoMaxMetadataBytes, "cargo-max-metadata-bytes", d.CargoMaxMetadataBytes, "cargo publish: largest JSON metadata part, in bytes")
	fs.Int64Var(&l.CargoMaxUnpackedBytes, "cargo-max-unpacked-bytes", d.CargoMaxUnpackedBytes, "cargo publish: most bytes a .crate may unpack to")
	fs.IntVar(&l.CargoMaxEntries, "cargo-max-entries", d.CargoMaxEntries, "cargo publish: most entries in a .crate")
	fs.Int64Var(&l.GemMaxMetadataBytes, "gem-max-metadata-bytes", d.GemMaxMetadataBytes, "gem push: largest metadata.gz or checksums.yaml.gz, decompressed, in bytes")
	fs.Int64Var(&l.GemMaxUnpackedBytes, "gem-max-unpacked-bytes", d.GemMaxUnpackedBytes, "gem push: most bytes a .gem's data.tar.gz may unpack to")
	fs.IntVar(&l.GemMaxEntries, "gem-max-entries", d.GemMaxEntries, "gem push: most entries in a .gem's data.tar.gz")
	fs.Int64Var(&l.NugetMaxUnpackedBytes, "nuget-max-unpacked-bytes", d.NugetMaxUnpackedBytes, "NuGet push and upstream packages: most bytes a .nupkg may inflate to (also at most 64 times --max-publish-bytes)")
	fs.IntVar(&l.NugetMaxEntries, "nuget-max-entries", d.NugetMaxEntries, "NuGet push and upstream packages: most entries in a .nupkg")
	fs.Int64Var(&l.SwiftMaxUnpackedBytes, "swift-max-unpacked-bytes", d.SwiftMaxUnpackedBytes, "Swift publish: most bytes a source archive may unpack to")
	fs.IntVar(&l.SwiftMaxEntries, "swift-max-entries", d.SwiftMaxEntries, "Swift publish: most entries in a source archive")
	fs.Int64Var(&l.SwiftMaxManifestBytes, "swift-max-manifest-bytes", d.SwiftMaxManifestBytes, "Swift publish: largest Package.swift, in bytes")
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
		"cargo-max-metadata-bytes": l.CargoMaxMetadataBytes, "cargo-max-unpacked-bytes": l.CargoMaxUnpackedBytes,
		"cargo-max-entries": int64(l.CargoMaxEntries), "gem-max-metadata-bytes": l.GemMaxMetadataBytes,
		"gem-max-unpacked-bytes": l.GemMaxUnpackedBytes, "gem-max-entries": int64(l.GemMaxEntries),
		"nuget-max-unpacked-bytes": l.NugetMaxUnpackedBytes, "nuget-max-entries": int64(l.NugetMaxEntries),
		"swift-max-unpacked-bytes": l.SwiftMaxUnpackedBytes, "swift-max-entries": int64(l.SwiftMaxEntries),
		"swift-max-manifest-bytes": l.SwiftMaxManifestBytes,
	} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive", name))
		}
	}
	return errs
}
