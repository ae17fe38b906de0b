-- wharf metadata schema, version 4: dist-tags (port of the sqlite backend's
-- 0004). Dist-tags (npm's named pointers at versions) are package state, one
-- row per tag, and go with their package (cascade), so deleting a package or
-- repository takes its tags with it. Until now they were one JSON document per
-- package in cache_entries under "npm-dist-tags|owner|domain|repo|scope|name";
-- documents whose package still exists move here, and all of them leave the
-- cache.

CREATE TABLE dist_tags (
    domain_owner TEXT COLLATE "C" NOT NULL,
    domain_name  TEXT COLLATE "C" NOT NULL,
    repository   TEXT COLLATE "C" NOT NULL,
    format       TEXT COLLATE "C" NOT NULL,
    namespace    TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    tag          TEXT COLLATE "C" NOT NULL,
    version      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (domain_owner, domain_name, repository, format, namespace, name, tag),
    FOREIGN KEY (domain_owner, domain_name, repository, format, namespace, name)
        REFERENCES packages (domain_owner, domain_name, repository, format, namespace, name) ON DELETE CASCADE
);

INSERT INTO dist_tags (domain_owner, domain_name, repository, format, namespace, name, tag, version)
SELECT p.domain_owner, p.domain_name, p.repository, p.format, p.namespace, p.name, j.key, j.value #>> '{}'
FROM packages p
JOIN cache_entries c
  ON c.cache_key = 'npm-dist-tags|' || p.domain_owner || '|' || p.domain_name || '|' || p.repository || '|' || p.namespace || '|' || p.name
CROSS JOIN LATERAL json_each(convert_from(c.body, 'UTF8')::json) j
WHERE p.format = 'npm' AND json_typeof(j.value) = 'string';

DELETE FROM cache_entries WHERE starts_with(cache_key, 'npm-dist-tags|');
