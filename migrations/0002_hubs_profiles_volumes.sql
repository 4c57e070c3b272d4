-- Hubs (z2jh Helm releases), their environment profiles and shared volumes.
-- The application validates everything first (app/src/domain); the constraints below are the
-- backstop, and the backend turns any violation into a field error.
-- Every editable row has `version` (optimistic locking): UPDATE ... WHERE id = ? AND version = ?.

CREATE TABLE hubs (
    id            INTEGER PRIMARY KEY,
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

CREATE TABLE shared_volumes (
    id            INTEGER PRIMARY KEY,
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

-- Environment variables, node selector and allowed groups are JSON text columns rather than
-- tables: they are always read and written whole with their profile, never queried element by
-- element, their order matters (env), and allowed groups may name JupyterHub groups that do
-- not exist in the portal's `groups` table. Shared-volume mounts, in contrast, reference
-- another row and need a real foreign key (so a mounted volume cannot be deleted).
CREATE TABLE profiles (
    id                  INTEGER PRIMARY KEY,
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
    FOREIGN KEY (hub_id, replaced_by) REFERENCES profiles (hub_id, id) ON DELETE RESTRICT
);
-- At most one default profile per hub.
CREATE UNIQUE INDEX profiles_one_default ON profiles (hub_id) WHERE is_default = 1;
CREATE INDEX profiles_replaced_by ON profiles (hub_id, replaced_by);

CREATE TABLE profile_volume_mounts (
    profile_id INTEGER NOT NULL,
    hub_id     INTEGER NOT NULL,
    volume_id  INTEGER NOT NULL,
    position   INTEGER NOT NULL,  -- order in the form
    mount_path TEXT    NOT NULL CHECK (substr(mount_path, 1, 1) = '/'),
    read_only  INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    PRIMARY KEY (profile_id, mount_path),
    -- Both keys include hub_id: a profile can only mount volumes of its own hub.
    FOREIGN KEY (hub_id, profile_id) REFERENCES profiles (hub_id, id) ON DELETE CASCADE,
    -- A mounted volume cannot be deleted.
    FOREIGN KEY (hub_id, volume_id) REFERENCES shared_volumes (hub_id, id) ON DELETE RESTRICT
);
CREATE INDEX profile_volume_mounts_profile ON profile_volume_mounts (hub_id, profile_id);
CREATE INDEX profile_volume_mounts_volume ON profile_volume_mounts (hub_id, volume_id);
