-- Generated values (every version per hub), hub API tokens, and users' remembered profiles.
-- Rows of all three belong to a hub and go with it (ON DELETE CASCADE): deleting a hub is
-- refused while it has profiles or volumes, and these rows must never be what blocks it.

-- Every distinct values file generated for a hub, oldest first. A version is recorded when the
-- generated YAML's digest differs from the hub's latest version.
CREATE TABLE values_versions (
    id          INTEGER PRIMARY KEY,
    hub_id      INTEGER NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
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

-- Bearer tokens a hub uses to ask the portal for a user's profiles. Only a sha256 of the
-- token is kept; the token itself is shown once when created.
CREATE TABLE hub_api_tokens (
    id          INTEGER PRIMARY KEY,
    hub_id      INTEGER NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    label       TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 100),
    token_hash  TEXT    NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    -- The first characters of the token, to recognise it in lists (not enough to use it).
    prefix      TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    last_used_at TEXT,
    revoked_at  TEXT,
    revoked_by  TEXT,
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX hub_api_tokens_hub ON hub_api_tokens (hub_id);

-- The profile a JupyterHub user chose last on a hub (written by the self-service page). The
-- user name is JupyterHub's, which need not be a portal account.
CREATE TABLE user_selections (
    hub_id      INTEGER NOT NULL REFERENCES hubs (id) ON DELETE CASCADE,
    user_name   TEXT    NOT NULL COLLATE NOCASE CHECK (length(user_name) > 0),
    profile_id  INTEGER NOT NULL,
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (hub_id, user_name),
    -- Same hub as the profile; a deleted profile forgets the choice.
    FOREIGN KEY (hub_id, profile_id) REFERENCES profiles (hub_id, id) ON DELETE CASCADE
);
CREATE INDEX user_selections_profile ON user_selections (hub_id, profile_id);
