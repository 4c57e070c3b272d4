-- The history of each user's servers: the Kubernetes events of their pods (scheduling,
-- image pulls, OOM kills, evictions...), copied from the portal's watch stores so the timeline
-- survives portal restarts and the deletion of the pod. One row per event object (its uid);
-- a repeated event updates its count and time. Pruned after a retention period
-- (`--server-event-retention-days`).

CREATE TABLE server_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uid   TEXT    NOT NULL UNIQUE,
    user_name   TEXT    NOT NULL COLLATE NOCASE,
    server_name TEXT    NOT NULL DEFAULT '',
    namespace   TEXT    NOT NULL,
    pod         TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,   -- RFC 3339 UTC: the event's last time
    kind        TEXT    NOT NULL,   -- Normal or Warning
    reason      TEXT    NOT NULL DEFAULT '',
    message     TEXT    NOT NULL DEFAULT '',
    count       INTEGER NOT NULL DEFAULT 1,
    recorded_at TEXT    NOT NULL
);
CREATE INDEX server_events_user_time ON server_events (user_name, occurred_at);
CREATE INDEX server_events_time ON server_events (occurred_at);
