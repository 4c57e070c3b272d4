-- Release operations (issue 10): every install, upgrade, rollback and uninstall the portal
-- asks the cluster for, from the confirmed request to its outcome. Like values_versions, the
-- rows outlive their hub (no foreign key; release name and namespace kept on each row).
--
-- `status` is 'running' from the request until the driver reports an outcome: 'succeeded',
-- 'failed', or 'interrupted' (the portal stopped before the cluster received the request, so
-- nothing was applied). At most one operation per hub runs at a time (partial unique index):
-- a second request is refused naming the first. After a crash the portal reconciles every
-- running row against the cluster at start-up, so none stays running forever.

CREATE TABLE operations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    hub_id           INTEGER NOT NULL,
    release_name     TEXT    NOT NULL,
    namespace        TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('install', 'upgrade', 'rollback', 'uninstall')),
    driver           TEXT    NOT NULL CHECK (driver IN ('job', 'flux', 'k3s')),
    status           TEXT    NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    -- The values sent (install / upgrade): their recorded version and digest.
    values_version   INTEGER,
    digest           TEXT,
    chart_version    TEXT    NOT NULL,
    -- Rollback: the revision asked for.
    target_revision  INTEGER,
    -- The Helm revision the operation produced (read from the release Secrets when it ended).
    helm_revision    INTEGER,
    -- The driver's object, e.g. the Job `namespace/name`.
    driver_object    TEXT    NOT NULL,
    reason           TEXT    NOT NULL CHECK (length(reason) > 0),
    actor            TEXT    NOT NULL,
    request_id       TEXT    NOT NULL DEFAULT '',
    -- The audit event that recorded the request.
    audit_event_id   INTEGER,
    message          TEXT    NOT NULL DEFAULT '',
    -- The last lines of the operation log (the Job's pod log), newline-separated.
    log              TEXT    NOT NULL DEFAULT '',
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    finished_at      TEXT,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE UNIQUE INDEX operations_one_running ON operations (hub_id) WHERE status = 'running';
CREATE INDEX operations_hub_time ON operations (hub_id, id);
