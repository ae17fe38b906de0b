-- wharf metadata schema, version 3: package groups (port of the sqlite
-- backend's 0003). The root group "/*" is implicit and only stored once
-- modified. The origin configuration (modes and allowed repositories per
-- restriction type) is one JSON document, read and written whole; it is TEXT,
-- not JSONB, so it round-trips byte for byte as in SQLite. A group's tags live
-- in tags under its ARN.

CREATE TABLE package_groups (
    domain_owner TEXT COLLATE "C" NOT NULL,
    domain_name  TEXT COLLATE "C" NOT NULL,
    pattern      TEXT COLLATE "C" NOT NULL,
    region       TEXT COLLATE "C" NOT NULL,
    contact_info TEXT COLLATE "C" NOT NULL,
    description  TEXT COLLATE "C" NOT NULL,
    origin       TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT,
    PRIMARY KEY (domain_owner, domain_name, pattern),
    FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name) ON DELETE CASCADE
);
