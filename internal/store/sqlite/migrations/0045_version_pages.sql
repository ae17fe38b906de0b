-- wharf metadata schema, version 45: indexes that make a ListPackageVersions
-- page an index range scan of one page of rows instead of a read and sort of
-- every version of the package (internal/store/sqlcommon/versionpage.go spells
-- the queries; the expression must stay exactly as written there). The primary
-- key serves "by version" without a status filter; "newest first" orders by
-- the published time with no time last, then by version.
-- (IF NOT EXISTS: tests that rewind schema_version replay migrations.)

CREATE INDEX IF NOT EXISTS package_versions_by_status ON package_versions
    (domain_owner, domain_name, repository, format, namespace, name, status, version);
CREATE INDEX IF NOT EXISTS package_versions_by_published ON package_versions
    (domain_owner, domain_name, repository, format, namespace, name, (COALESCE(published_at, -9223372036854775807)) DESC, version);
CREATE INDEX IF NOT EXISTS package_versions_by_status_published ON package_versions
    (domain_owner, domain_name, repository, format, namespace, name, status, (COALESCE(published_at, -9223372036854775807)) DESC, version);
