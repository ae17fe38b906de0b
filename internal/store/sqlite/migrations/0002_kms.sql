-- wharf metadata schema, version 2: the KMS subset's keys and aliases.
-- Key material is derived, never stored; these are metadata only. A key's tags
-- live in tags under its ARN.

CREATE TABLE kms_keys (
    account              TEXT    NOT NULL,
    key_id               TEXT    NOT NULL,
    region               TEXT    NOT NULL,
    description          TEXT    NOT NULL,
    key_usage            TEXT    NOT NULL,
    key_spec             TEXT    NOT NULL,
    origin               TEXT    NOT NULL,
    state                TEXT    NOT NULL,
    policy               TEXT    NOT NULL,
    multi_region         INTEGER NOT NULL,
    rotation_enabled     INTEGER NOT NULL,
    rotation_period_days INTEGER NOT NULL,
    deletion_date        BIGINT,
    pending_window_days  INTEGER NOT NULL,
    created_at           BIGINT,
    PRIMARY KEY (account, key_id)
);

CREATE TABLE kms_aliases (
    account       TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    region        TEXT   NOT NULL,
    target_key_id TEXT   NOT NULL,
    created_at    BIGINT,
    updated_at    BIGINT,
    PRIMARY KEY (account, name),
    FOREIGN KEY (account, target_key_id) REFERENCES kms_keys (account, key_id) ON DELETE CASCADE
);

CREATE INDEX kms_aliases_by_key ON kms_aliases (account, target_key_id);
