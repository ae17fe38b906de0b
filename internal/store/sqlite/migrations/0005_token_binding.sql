-- wharf metadata schema, version 5: authorization tokens are bound to the
-- incarnation of their domain (its creation time, unix milliseconds), so a token
-- issued before DeleteDomain is refused once a domain of the same name exists
-- again; tokens issued before this version have none and are refused (they are
-- re-issued with GetAuthorizationToken). Expired tokens are purged by expiry.

ALTER TABLE auth_tokens ADD COLUMN domain_created_at BIGINT;

CREATE INDEX auth_tokens_expires_at ON auth_tokens (expires_at);
