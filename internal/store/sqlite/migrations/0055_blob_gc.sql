-- wharf metadata schema, version 55: blob garbage collection (internal/blobgc).
--
-- blob_pins: one row per writer about to reference a blob of a domain. A pin
-- is taken before the blob is committed to blob storage and dropped once the
-- writer's asset rows are recorded; the collector removes a blob only when no
-- asset row of the domain references it and no pin younger than its grace
-- exists (store.Store.SweepBlob). pinned_at is unix milliseconds.
--
-- leases: named, expiring leases (store.Store.AcquireLease) so that one
-- replica at a time runs a collection pass over a shared database.
-- expires_at is unix milliseconds.
-- (IF NOT EXISTS: tests that rewind schema_version replay migrations.)

CREATE TABLE IF NOT EXISTS blob_pins (
    pin_id       TEXT   NOT NULL PRIMARY KEY,
    domain_owner TEXT   NOT NULL,
    domain_name  TEXT   NOT NULL,
    sha256       TEXT   NOT NULL,
    pinned_at    BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS blob_pins_by_blob ON blob_pins (domain_owner, domain_name, sha256, pinned_at);
CREATE INDEX IF NOT EXISTS blob_pins_by_age ON blob_pins (pinned_at);

CREATE TABLE IF NOT EXISTS leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
