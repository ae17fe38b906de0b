-- wharf metadata schema, version 30: a change counter per domain. Every write
-- that changes what a domain serves bumps it, and replicas sharing this database
-- compare it to the value their in-memory caches were filled under, so a change
-- on one replica is seen by the very next request on another. The row outlives
-- its domain (never deleted), so a re-created domain never reuses a value.
-- (IF NOT EXISTS: tests that rewind schema_version to replay an older
-- migration leave this table in place.)

CREATE TABLE IF NOT EXISTS domain_generations (
    domain_owner TEXT NOT NULL,
    domain_name  TEXT NOT NULL,
    generation   BIGINT NOT NULL,
    PRIMARY KEY (domain_owner, domain_name)
);
