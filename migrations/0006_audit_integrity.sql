-- foreign_keys: off
-- Audit trail integrity (issue 9, item 6).
--
-- The header above makes db::migrate run this migration with foreign keys disabled (the
-- tables below are rebuilt, and dropping a table that others reference would otherwise
-- cascade); the check at the end refuses to commit if any foreign key is left broken.
--
-- 1. audit_events refuses an insert whose id exists: `INSERT OR REPLACE` deletes the old row
--    without firing DELETE triggers (unless recursive triggers are on), so the UPDATE/DELETE
--    triggers alone did not make the trail append-only.
-- 2. values_versions is append-only (no UPDATE, no DELETE, no replacing insert) and outlives
--    its hub: no foreign key to hubs any more, and the hub's release name and namespace are
--    kept on each row so the history stays readable after the hub is gone.
-- 3. hubs, profiles and shared_volumes never reuse an id (AUTOINCREMENT): an audit entry or a
--    values version naming hub #5 names one hub forever. The counters start above every id
--    the audit trail or the values history has ever named, so ids of records deleted before
--    this migration are not handed out again either.
-- 4. audit_events.client_request_id: the x-request-id a client sent (bounded, printable
--    ASCII), kept apart from request_id, which the server now always generates.

-- 1. -------------------------------------------------------------------------------------
CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- 4. -------------------------------------------------------------------------------------
ALTER TABLE audit_events ADD COLUMN client_request_id TEXT NOT NULL DEFAULT ''
    CHECK (length(client_request_id) <= 128);

-- 3. hubs ----------------------------------------------------------------------------------
CREATE TABLE hubs_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    release_name  TEXT    NOT NULL CHECK (length(release_name) BETWEEN 1 AND 53),
    namespace     TEXT    NOT NULL CHECK (length(namespace) BETWEEN 1 AND 63),
    chart_version TEXT    NOT NULL DEFAULT '4.4.0',
    ingress_host  TEXT    CHECK (ingress_host IS NULL OR length(ingress_host) > 0),
    driver        TEXT    NOT NULL CHECK (driver IN ('job', 'flux', 'k3s')),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    -- Helm release names are unique per namespace.
    CONSTRAINT hubs_release UNIQUE (namespace, release_name)
);
INSERT INTO hubs_new (id, release_name, namespace, chart_version, ingress_host, driver,
                      version, created_at, updated_at)
    SELECT id, release_name, namespace, chart_version, ingress_host, driver,
           version, created_at, updated_at
    FROM hubs;

-- 3. shared_volumes --------------------------------------------------------------------------
CREATE TABLE shared_volumes_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    hub_id        INTEGER NOT NULL REFERENCES hubs (id) ON DELETE RESTRICT,
    name          TEXT    NOT NULL CHECK (length(name) > 0),
    pvc_name      TEXT    NOT NULL CHECK (length(pvc_name) BETWEEN 1 AND 253),
    namespace     TEXT    NOT NULL CHECK (length(namespace) BETWEEN 1 AND 63),
    size          TEXT,   -- Kubernetes quantity; NULL only for a claim that already exists
    access_mode   TEXT    NOT NULL DEFAULT 'ReadWriteMany'
                  CHECK (access_mode IN ('ReadWriteMany', 'ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteOncePod')),
    storage_class TEXT,   -- NULL: the cluster's default class
    volume_mode   TEXT    NOT NULL DEFAULT 'Filesystem' CHECK (volume_mode IN ('Filesystem', 'Block')),
    create_pvc    INTEGER NOT NULL CHECK (create_pvc IN (0, 1)),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    CHECK (create_pvc = 0 OR size IS NOT NULL),
    CONSTRAINT shared_volumes_name UNIQUE (hub_id, name),
    CONSTRAINT shared_volumes_pvc UNIQUE (hub_id, pvc_name),
    -- Target of the composite foreign key from mounts (same-hub rule).
    UNIQUE (hub_id, id)
);
INSERT INTO shared_volumes_new (id, hub_id, name, pvc_name, namespace, size, access_mode,
                                storage_class, volume_mode, create_pvc, version, created_at,
                                updated_at)
    SELECT id, hub_id, name, pvc_name, namespace, size, access_mode,
           storage_class, volume_mode, create_pvc, version, created_at, updated_at
    FROM shared_volumes;

-- 3. profiles ----------------------------------------------------------------------------------
CREATE TABLE profiles_new (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    hub_id              INTEGER NOT NULL REFERENCES hubs (id) ON DELETE RESTRICT,
    slug                TEXT    NOT NULL CHECK (length(slug) BETWEEN 1 AND 63),
    display_name        TEXT    NOT NULL CHECK (length(display_name) > 0),
    description         TEXT    NOT NULL DEFAULT '',
    image_name          TEXT    NOT NULL CHECK (length(image_name) > 0),
    image_tag           TEXT    NOT NULL CHECK (length(image_tag) > 0),
    image_pull_policy   TEXT    NOT NULL DEFAULT 'IfNotPresent'
                        CHECK (image_pull_policy IN ('Always', 'IfNotPresent', 'Never')),
    image_pull_secret   TEXT,
    cpu_limit           REAL    CHECK (cpu_limit IS NULL OR cpu_limit > 0),
    cpu_guarantee       REAL    CHECK (cpu_guarantee IS NULL OR cpu_guarantee > 0),
    mem_limit           TEXT,   -- KubeSpawner format as written, e.g. 3G
    mem_limit_bytes     INTEGER CHECK (mem_limit_bytes IS NULL OR mem_limit_bytes > 0),
    mem_guarantee       TEXT,
    mem_guarantee_bytes INTEGER CHECK (mem_guarantee_bytes IS NULL OR mem_guarantee_bytes > 0),
    home_capacity       TEXT    NOT NULL CHECK (length(home_capacity) > 0),
    home_storage_class  TEXT,
    home_mount_path     TEXT    NOT NULL DEFAULT '/home/jovyan' CHECK (substr(home_mount_path, 1, 1) = '/'),
    env_json            TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(env_json) AND json_type(env_json) = 'array'),
    node_selector_json  TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(node_selector_json) AND json_type(node_selector_json) = 'object'),
    allowed_groups_json TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(allowed_groups_json) AND json_type(allowed_groups_json) = 'array'),
    is_default          INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    -- Deprecated profiles name their replacement (same hub, enforced by the composite key).
    replaced_by         INTEGER,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    CHECK ((mem_limit IS NULL) = (mem_limit_bytes IS NULL)),
    CHECK ((mem_guarantee IS NULL) = (mem_guarantee_bytes IS NULL)),
    CHECK (cpu_guarantee IS NULL OR cpu_limit IS NULL OR cpu_guarantee <= cpu_limit),
    CHECK (mem_guarantee_bytes IS NULL OR mem_limit_bytes IS NULL OR mem_guarantee_bytes <= mem_limit_bytes),
    CHECK (replaced_by IS NULL OR replaced_by <> id),
    CHECK (NOT (is_default = 1 AND replaced_by IS NOT NULL)),
    CONSTRAINT profiles_slug UNIQUE (hub_id, slug),
    UNIQUE (hub_id, id),
    -- Names `profiles`, which this table becomes below.
    FOREIGN KEY (hub_id, replaced_by) REFERENCES profiles (hub_id, id) ON DELETE RESTRICT
);
INSERT INTO profiles_new (id, hub_id, slug, display_name, description, image_name, image_tag,
                          image_pull_policy, image_pull_secret, cpu_limit, cpu_guarantee,
                          mem_limit, mem_limit_bytes, mem_guarantee, mem_guarantee_bytes,
                          home_capacity, home_storage_class, home_mount_path, env_json,
                          node_selector_json, allowed_groups_json, is_default, replaced_by,
                          version, created_at, updated_at)
    SELECT id, hub_id, slug, display_name, description, image_name, image_tag,
           image_pull_policy, image_pull_secret, cpu_limit, cpu_guarantee,
           mem_limit, mem_limit_bytes, mem_guarantee, mem_guarantee_bytes,
           home_capacity, home_storage_class, home_mount_path, env_json,
           node_selector_json, allowed_groups_json, is_default, replaced_by,
           version, created_at, updated_at
    FROM profiles;

-- 2. values_versions ---------------------------------------------------------------------------
CREATE TABLE values_versions_new (
    id          INTEGER PRIMARY KEY,
    -- The hub's id; no foreign key: the history stays when the hub is deleted, and hub ids
    -- are never reused, so it names one hub forever.
    hub_id      INTEGER NOT NULL,
    -- The hub's release name and namespace when the version was recorded.
    hub_release_name TEXT NOT NULL DEFAULT '',
    hub_namespace    TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL CHECK (version > 0),  -- 1, 2, 3… per hub
    digest      TEXT    NOT NULL CHECK (length(digest) = 64),  -- sha256 of yaml, lowercase hex
    yaml        TEXT    NOT NULL,
    -- What changed since the previous version (audit events, one per line), for people.
    cause       TEXT    NOT NULL DEFAULT '',
    -- The newest audit event id when the version was recorded: the next version's cause is
    -- made of the events after it.
    audit_mark  INTEGER NOT NULL DEFAULT 0,
    valid       INTEGER NOT NULL CHECK (valid IN (0, 1)),
    created_at  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    CONSTRAINT values_versions_number UNIQUE (hub_id, version)
);
INSERT INTO values_versions_new (id, hub_id, hub_release_name, hub_namespace, version, digest,
                                 yaml, cause, audit_mark, valid, created_at, created_by)
    SELECT v.id, v.hub_id, COALESCE(h.release_name, ''), COALESCE(h.namespace, ''), v.version,
           v.digest, v.yaml, v.cause, v.audit_mark, v.valid, v.created_at, v.created_by
    FROM values_versions v LEFT JOIN hubs h ON h.id = v.hub_id;

-- Swap the tables. With foreign keys off, dropping a table deletes nothing elsewhere; the
-- other tables' foreign keys name `hubs`, `profiles`, `shared_volumes` and find the new ones.
DROP TABLE values_versions;
DROP TABLE profiles;
DROP TABLE shared_volumes;
DROP TABLE hubs;
ALTER TABLE hubs_new RENAME TO hubs;
ALTER TABLE shared_volumes_new RENAME TO shared_volumes;
ALTER TABLE profiles_new RENAME TO profiles;
ALTER TABLE values_versions_new RENAME TO values_versions;

-- The indexes dropped with their tables.
CREATE UNIQUE INDEX profiles_one_default ON profiles (hub_id) WHERE is_default = 1;
CREATE INDEX profiles_replaced_by ON profiles (hub_id, replaced_by);

-- values_versions is append-only, like the audit trail. Its (hub_id, version) key is checked
-- too: `INSERT OR REPLACE` would otherwise delete the version it collides with.
CREATE TRIGGER values_versions_no_update BEFORE UPDATE ON values_versions
BEGIN
    SELECT RAISE(ABORT, 'values_versions is append-only');
END;

CREATE TRIGGER values_versions_no_delete BEFORE DELETE ON values_versions
BEGIN
    SELECT RAISE(ABORT, 'values_versions is append-only');
END;

CREATE TRIGGER values_versions_no_replace BEFORE INSERT ON values_versions
WHEN EXISTS (SELECT 1 FROM values_versions
             WHERE id = NEW.id OR (hub_id = NEW.hub_id AND version = NEW.version))
BEGIN
    SELECT RAISE(ABORT, 'values_versions is append-only');
END;

-- 3. The id counters start above every id ever handed out, as far as history tells.
INSERT INTO sqlite_sequence (name, seq)
    SELECT t.name, 0 FROM (SELECT 'hubs' AS name UNION ALL SELECT 'profiles'
                           UNION ALL SELECT 'shared_volumes') t
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence s WHERE s.name = t.name);
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(id) FROM hubs), 0),
    COALESCE((SELECT MAX(hub_id) FROM values_versions), 0),
    COALESCE((SELECT MAX(CAST(target_id AS INTEGER)) FROM audit_events
              WHERE target_type = 'hub'), 0))
WHERE name = 'hubs';
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(id) FROM profiles), 0),
    COALESCE((SELECT MAX(CAST(target_id AS INTEGER)) FROM audit_events
              WHERE target_type = 'profile'), 0))
WHERE name = 'profiles';
UPDATE sqlite_sequence SET seq = MAX(seq,
    COALESCE((SELECT MAX(id) FROM shared_volumes), 0),
    COALESCE((SELECT MAX(CAST(target_id AS INTEGER)) FROM audit_events
              WHERE target_type = 'volume'), 0))
WHERE name = 'shared_volumes';

-- No foreign key may be left broken: a violation makes this insert fail its CHECK, and the
-- whole migration is rolled back.
CREATE TEMP TABLE migration_0006_fk_check (violations INTEGER NOT NULL CHECK (violations = 0));
INSERT INTO migration_0006_fk_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_0006_fk_check;
