-- wharf metadata schema, version 2: the KMS subset's keys and aliases (port of
-- the sqlite backend's 0002). Key material is derived, never stored; these are
-- metadata only. A key's tags live in tags under its ARN. Flags are BOOLEAN
-- here (INTEGER 0/1 in SQLite).

CREATE TABLE kms_keys (
    account              TEXT COLLATE "C" NOT NULL,
    key_id               TEXT COLLATE "C" NOT NULL,
    region               TEXT COLLATE "C" NOT NULL,
    description          TEXT COLLATE "C" NOT NULL,
    key_usage            TEXT COLLATE "C" NOT NULL,
    key_spec             TEXT COLLATE "C" NOT NULL,
    origin               TEXT COLLATE "C" NOT NULL,
    state                TEXT COLLATE "C" NOT NULL,
    policy               TEXT COLLATE "C" NOT NULL,
    multi_region         BOOLEAN NOT NULL,
    rotation_enabled     BOOLEAN NOT NULL,
    rotation_period_days INTEGER NOT NULL,
    deletion_date        BIGINT,
    pending_window_days  INTEGER NOT NULL,
    created_at           BIGINT,
    PRIMARY KEY (account, key_id)
);

CREATE TABLE kms_aliases (
    account       TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    region        TEXT COLLATE "C" NOT NULL,
    target_key_id TEXT COLLATE "C" NOT NULL,
    created_at    BIGINT,
    updated_at    BIGINT,
    PRIMARY KEY (account, name),
    FOREIGN KEY (account, target_key_id) REFERENCES kms_keys (account, key_id) ON DELETE CASCADE
);

CREATE INDEX kms_aliases_by_key ON kms_aliases (account, target_key_id);
