-- wharf metadata schema, version 1 (PostgreSQL port of the sqlite backend's 0001).
--
-- Same tables, keys and cascades as the sqlite schema. Differences: BYTEA for
-- blobs, and every text column is COLLATE "C" so ORDER BY, keyset pagination
-- (row-value >) and the primary key indexes compare bytes, as SQLite does,
-- whatever the database's default collation is. Times are BIGINT unix
-- milliseconds (NULL for the zero time); ordered lists are JSON arrays in text.

CREATE TABLE access_keys (
    access_key_id     TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    secret_access_key TEXT COLLATE "C"   NOT NULL,
    principal_account TEXT COLLATE "C"   NOT NULL,
    principal_arn     TEXT COLLATE "C"   NOT NULL,
    principal_user_id TEXT COLLATE "C"   NOT NULL,
    created_at        BIGINT
);

CREATE TABLE auth_tokens (
    hash              TEXT COLLATE "C"   NOT NULL PRIMARY KEY,
    principal_account TEXT COLLATE "C"   NOT NULL,
    principal_arn     TEXT COLLATE "C"   NOT NULL,
    principal_user_id TEXT COLLATE "C"   NOT NULL,
    domain_owner      TEXT COLLATE "C"   NOT NULL,
    domain_name       TEXT COLLATE "C"   NOT NULL,
    expires_at        BIGINT,
    created_at        BIGINT
);

CREATE TABLE domains (
    owner          TEXT COLLATE "C"   NOT NULL,
    name           TEXT COLLATE "C"   NOT NULL,
    region         TEXT COLLATE "C"   NOT NULL,
    encryption_key TEXT COLLATE "C"   NOT NULL,
    status         TEXT COLLATE "C"   NOT NULL,
    created_at     BIGINT,
    PRIMARY KEY (owner, name)
);

-- No cascade from domains: a domain with repositories cannot be deleted.
CREATE TABLE repositories (
    domain_owner          TEXT COLLATE "C"   NOT NULL,
    domain_name           TEXT COLLATE "C"   NOT NULL,
    name                  TEXT COLLATE "C"   NOT NULL,
    administrator_account TEXT COLLATE "C"   NOT NULL,
    region                TEXT COLLATE "C"   NOT NULL,
    description           TEXT COLLATE "C"   NOT NULL,
    upstreams             TEXT COLLATE "C"   NOT NULL,
    external_connections  TEXT COLLATE "C"   NOT NULL,
    created_at            BIGINT,
    PRIMARY KEY (domain_owner, domain_name, name),
    FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name)
);

CREATE INDEX repositories_by_admin ON repositories (administrator_account, name);
CREATE INDEX repositories_by_name ON repositories (name, domain_owner, domain_name);

CREATE TABLE policies (
    resource_arn TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    document     TEXT COLLATE "C" NOT NULL,
    revision     TEXT COLLATE "C" NOT NULL
);

CREATE TABLE tags (
    resource_arn TEXT COLLATE "C" NOT NULL,
    tag_key      TEXT COLLATE "C" NOT NULL,
    tag_value    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (resource_arn, tag_key)
);

-- namespace is '' (never NULL) when a package has none: it is part of the key.
CREATE TABLE packages (
    domain_owner    TEXT COLLATE "C" NOT NULL,
    domain_name     TEXT COLLATE "C" NOT NULL,
    repository      TEXT COLLATE "C" NOT NULL,
    format          TEXT COLLATE "C" NOT NULL,
    namespace       TEXT COLLATE "C" NOT NULL,
    name            TEXT COLLATE "C" NOT NULL,
    origin_publish  TEXT COLLATE "C" NOT NULL,
    origin_upstream TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name),
    FOREIGN KEY (domain_owner, domain_name, repository)
        REFERENCES repositories (domain_owner, domain_name, name) ON DELETE CASCADE
);

CREATE INDEX packages_by_name ON packages (domain_owner, domain_name, repository, name, namespace, format);

CREATE TABLE package_versions (
    domain_owner               TEXT COLLATE "C" NOT NULL,
    domain_name                TEXT COLLATE "C" NOT NULL,
    repository                 TEXT COLLATE "C" NOT NULL,
    format                     TEXT COLLATE "C" NOT NULL,
    namespace                  TEXT COLLATE "C" NOT NULL,
    name                       TEXT COLLATE "C" NOT NULL,
    version                    TEXT COLLATE "C" NOT NULL,
    status                     TEXT COLLATE "C" NOT NULL,
    revision                   TEXT COLLATE "C" NOT NULL,
    origin_type                TEXT COLLATE "C" NOT NULL,
    origin_repository          TEXT COLLATE "C" NOT NULL,
    origin_external_connection TEXT COLLATE "C" NOT NULL,
    summary                    TEXT COLLATE "C" NOT NULL,
    home_page                  TEXT COLLATE "C" NOT NULL,
    source_code                TEXT COLLATE "C" NOT NULL,
    licenses                   TEXT COLLATE "C" NOT NULL,
    display_name               TEXT COLLATE "C" NOT NULL,
    metadata                   BYTEA,
    readme                     TEXT COLLATE "C" NOT NULL,
    dependencies               TEXT COLLATE "C" NOT NULL,
    published_at               BIGINT,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name, version),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, name)
        REFERENCES packages (domain_owner, domain_name, repository, format, namespace, name) ON DELETE CASCADE
);

CREATE TABLE assets (
    domain_owner TEXT COLLATE "C"   NOT NULL,
    domain_name  TEXT COLLATE "C"   NOT NULL,
    repository   TEXT COLLATE "C"   NOT NULL,
    format       TEXT COLLATE "C"   NOT NULL,
    namespace    TEXT COLLATE "C"   NOT NULL,
    package      TEXT COLLATE "C"   NOT NULL,
    version      TEXT COLLATE "C"   NOT NULL,
    name         TEXT COLLATE "C"   NOT NULL,
    size         BIGINT NOT NULL,
    md5          TEXT COLLATE "C"   NOT NULL,
    sha1         TEXT COLLATE "C"   NOT NULL,
    sha256       TEXT COLLATE "C"   NOT NULL,
    sha512       TEXT COLLATE "C"   NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, package, version, name),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, package, version)
        REFERENCES package_versions (domain_owner, domain_name, repository, format, namespace, name, version) ON DELETE CASCADE
);

-- DomainStats deduplicates asset bytes by digest across a domain.
CREATE INDEX assets_by_digest ON assets (domain_owner, domain_name, sha256);

CREATE TABLE cache_entries (
    cache_key  TEXT COLLATE "C"    NOT NULL PRIMARY KEY,
    body       BYTEA,
    etag       TEXT COLLATE "C"    NOT NULL,
    status     INTEGER NOT NULL,
    fetched_at BIGINT
);
