-- wharf metadata schema, version 20: the audit trail (append-only: wharf
-- never updates or deletes a row) and the event outbox (one row per pending
-- delivery of a package version state change to a webhook). Idempotent (IF NOT
-- EXISTS): tests that rewind the schema version re-apply it.

CREATE TABLE IF NOT EXISTS audit_records (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT  NOT NULL, -- unix nanoseconds
    request_id   TEXT    NOT NULL,
    principal    TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    domain_owner TEXT    NOT NULL,
    domain_name  TEXT    NOT NULL,
    repository   TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    namespace    TEXT    NOT NULL,
    package      TEXT    NOT NULL,
    version      TEXT    NOT NULL,
    detail       TEXT    NOT NULL -- JSON (model.AuditDetail)
);
CREATE INDEX IF NOT EXISTS audit_records_package ON audit_records (domain_owner, domain_name, repository, format, namespace, package, id);
CREATE INDEX IF NOT EXISTS audit_records_principal ON audit_records (principal, id);
CREATE INDEX IF NOT EXISTS audit_records_at ON audit_records (at);

CREATE TABLE IF NOT EXISTS event_outbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    audit_id     BIGINT  NOT NULL REFERENCES audit_records (id),
    webhook      TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT  NOT NULL, -- unix nanoseconds
    last_error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS event_outbox_due ON event_outbox (next_attempt, id);
