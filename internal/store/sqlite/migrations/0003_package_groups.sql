-- wharf metadata schema, version 3: package groups. The root group "/*" is
-- implicit and only stored once modified. The origin configuration (modes and
-- allowed repositories per restriction type) is one JSON document: it is always
-- read and written whole. A group's tags live in tags under its ARN.

CREATE TABLE package_groups (
    domain_owner TEXT   NOT NULL,
    domain_name  TEXT   NOT NULL,
    pattern      TEXT   NOT NULL,
    region       TEXT   NOT NULL,
    contact_info TEXT   NOT NULL,
    description  TEXT   NOT NULL,
    origin       TEXT   NOT NULL,
    created_at   BIGINT,
    PRIMARY KEY (domain_owner, domain_name, pattern),
    FOREIGN KEY (domain_owner, domain_name) REFERENCES domains (owner, name) ON DELETE CASCADE
);
