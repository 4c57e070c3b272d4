-- Accounts, groups and the append-only audit trail.
-- Timestamps are RFC 3339 UTC strings written by the application.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    last_login_at TEXT
);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE user_groups (
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, group_id)
);
CREATE INDEX user_groups_group ON user_groups (group_id);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    occurred_at TEXT    NOT NULL,
    actor_id    INTEGER,           -- NULL for the system (first-run bootstrap, CLI)
    actor       TEXT    NOT NULL,  -- username at the time, kept even if the account changes
    action      TEXT    NOT NULL,  -- e.g. user.create, user.update, profile.update
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    target_name TEXT    NOT NULL DEFAULT '',
    before_json TEXT,
    after_json  TEXT,
    diff_json   TEXT    NOT NULL DEFAULT '[]',
    reason      TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT '',
    client_addr TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_time ON audit_events (occurred_at);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id);

-- The audit trail is append-only: nothing may rewrite or remove history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
