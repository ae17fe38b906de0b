-- wharf metadata schema, version 1.
--
-- Portable SQL on purpose: TEXT, BIGINT and BLOB columns (BLOB becomes BYTEA in
-- PostgreSQL), natural composite keys instead of rowids, ON DELETE CASCADE for
-- children of a repository. Times are BIGINT unix milliseconds (NULL for the zero
-- time). Ordered lists (upstreams, external connections, licenses, dependencies)
-- are JSON arrays in TEXT columns: they are only ever read and written whole.

CREATE TABLE access_keys (
    access_key_id     TEXT   NOT NULL PRIMARY KEY,
    secret_access_key TEXT   NOT NULL,
    principal_account TEXT   NOT NULL,
    principal_arn     TEXT   NOT NULL,
    principal_user_id TEXT   NOT NULL,
    created_at        BIGINT
);

CREATE TABLE auth_tokens (
    hash              TEXT   NOT NULL PRIMARY KEY,
    principal_account TEXT   NOT NULL,
    principal_arn     TEXT   NOT NULL,
    principal_user_id TEXT   NOT NULL,
    domain_owner      TEXT   NOT NULL,
    domain_name       TEXT   NOT NULL,
    expires_at        BIGINT,
    created_at        BIGINT
);

CREATE TABLE domains (
    owner          TEXT   NOT NULL,
    name           TEXT   NOT NULL,
    region         TEXT   NOT NULL,
    encryption_key TEXT   NOT NULL,
    status         TEXT   NOT NULL,
    created_at     BIGINT,
    PRIMARY KEY (owner, name)
);

-- No cascade from domains: a domain with repositories cannot be deleted.
CREATE TABLE repositories (
    domain_owner          TEXT   NOT NULL,
    domain_name           TEXT   NOT NULL,
    name                  TEXT   NOT NULL,
    administrator_account TEXT   NOT NULL,
    region                TEXT   NOT NULL,
    description           TEXT   NOT NULL,
    upstreams             TEXT   NOT NULL,
    external_connections  TEXT   NOT NULL,
    created_at            BIGINT,
    PRIMARY KEY (domain_owner, domain_name, name),
    FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name)
);

CREATE INDEX repositories_by_admin ON repositories (administrator_account, name);
CREATE INDEX repositories_by_name ON repositories (name, domain_owner, domain_name);

CREATE TABLE policies (
    resource_arn TEXT NOT NULL PRIMARY KEY,
    document     TEXT NOT NULL,
    revision     TEXT NOT NULL
);

CREATE TABLE tags (
    resource_arn TEXT NOT NULL,
    tag_key      TEXT NOT NULL,
    tag_value    TEXT NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
);

-- namespace is '' (never NULL) when a package has none: it is part of the key.
CREATE TABLE packages (
    domain_owner    TEXT NOT NULL,
    domain_name     TEXT NOT NULL,
    repository      TEXT NOT NULL,
    format          TEXT NOT NULL,
    namespace       TEXT NOT NULL,
    name            TEXT NOT NULL,
    origin_publish  TEXT NOT NULL,
    origin_upstream TEXT NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name),
    FOREIGN KEY (domain_owner, domain_name, repository)
        REFERENCES repositories (domain_owner, domain_name, name) ON DELETE CASCADE
);

CREATE INDEX packages_by_name ON packages (domain_owner, domain_name, repository, name, namespace, format);

CREATE TABLE package_versions (
    domain_owner               TEXT NOT NULL,
    domain_name                TEXT NOT NULL,
    repository                 TEXT NOT NULL,
    format                     TEXT NOT NULL,
    namespace                  TEXT NOT NULL,
    name                       TEXT NOT NULL,
    version                    TEXT NOT NULL,
    status                     TEXT NOT NULL,
    revision                   TEXT NOT NULL,
    origin_type                TEXT NOT NULL,
    origin_repository          TEXT NOT NULL,
    origin_external_connection TEXT NOT NULL,
    summary                    TEXT NOT NULL,
    home_page                  TEXT NOT NULL,
    source_code                TEXT NOT NULL,
    licenses                   TEXT NOT NULL,
    display_name               TEXT NOT NULL,
    metadata                   BLOB,
    readme                     TEXT NOT NULL,
    dependencies               TEXT NOT NULL,
    published_at               BIGINT,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name, version),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, name)
        REFERENCES packages (domain_owner, domain_name, repository, format, namespace, name) ON DELETE CASCADE
);

CREATE TABLE assets (
    domain_owner TEXT   NOT NULL,
    domain_name  TEXT   NOT NULL,
    repository   TEXT   NOT NULL,
    format       TEXT   NOT NULL,
    namespace    TEXT   NOT NULL,
    package      TEXT   NOT NULL,
    version      TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    size         BIGINT NOT NULL,
    md5          TEXT   NOT NULL,
    sha1         TEXT   NOT NULL,
    sha256       TEXT   NOT NULL,
    sha512       TEXT   NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, package, version, name),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, package, version)
        REFERENCES package_versions (domain_owner, domain_name, repository, format, namespace, name, version) ON DELETE CASCADE
);

-- DomainStats deduplicates asset bytes by digest across a domain.
CREATE INDEX assets_by_digest ON assets (domain_owner, domain_name, sha256);

CREATE TABLE cache_entries (
    cache_key  TEXT    NOT NULL PRIMARY KEY,
    body       BLOB,
    etag       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    fetched_at BIGINT
);
