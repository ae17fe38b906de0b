-- wharf metadata schema, version 10: IAM identities and STS sessions.
--
-- IAM objects (users, roles, managed policies and their versions, inline
-- policies, attachments, OIDC providers) are JSON documents the IAM service
-- owns, keyed by account, kind, owning entity and lower-cased name (IAM names
-- are unique case-insensitively). Access keys gain IAM's status and, for STS
-- session credentials, the token hash, assumed role, session tags and expiry.

CREATE TABLE iam_entities (
    account    TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    parent     TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    body       TEXT   NOT NULL,
    created_at BIGINT,
    PRIMARY KEY (account, kind, parent, name_key)
);

ALTER TABLE access_keys ADD COLUMN status TEXT NOT NULL DEFAULT 'Active';
ALTER TABLE access_keys ADD COLUMN session_token_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN role_arn TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN session_tags TEXT NOT NULL DEFAULT '';
ALTER TABLE access_keys ADD COLUMN expires_at BIGINT;
CREATE INDEX access_keys_by_principal ON access_keys (principal_arn);
CREATE INDEX access_keys_by_expiry ON access_keys (expires_at);
