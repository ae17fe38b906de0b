-- wharf metadata schema, version 4: dist-tags (npm's named pointers at
-- versions) are package state, one row per tag, and go with their package
-- (cascade), so deleting a package or repository takes its tags with it.
-- Until now they were one JSON document per package in cache_entries under
-- "npm-dist-tags|owner|domain|repo|scope|name"; documents whose package still
-- exists move here, and all of them leave the cache.

CREATE TABLE dist_tags (
    domain_owner TEXT NOT NULL,
    domain_name  TEXT NOT NULL,
    repository   TEXT NOT NULL,
    format       TEXT NOT NULL,
    namespace    TEXT NOT NULL,
    name         TEXT NOT NULL,
    tag          TEXT NOT NULL,
    version      TEXT NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name, tag),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, name)
        REFERENCES packages (domain_owner, domain_name, repository, format, namespace, name) ON DELETE CASCADE
);

INSERT INTO dist_tags (domain_owner, domain_name, repository, format, namespace, name, tag, version)
SELECT p.domain_owner, p.domain_name, p.repository, p.format, p.namespace, p.name, j.key, j.value
FROM packages p
JOIN cache_entries c
  ON c.cache_key = 'npm-dist-tags|' || p.domain_owner || '|' || p.domain_name || '|' || p.repository || '|' || p.namespace || '|' || p.name
JOIN json_each(CAST(c.body AS TEXT)) j
WHERE p.format = 'npm' AND j.type = 'text';

DELETE FROM cache_entries WHERE substr(cache_key, 1, 14) = 'npm-dist-tags|';
