-- A hub's extra values: chart values Hubfleet does not generate (e.g. proxy.https, an
-- authenticator's hub.config, singleuser.defaultUrl, scheduling.*), kept as the YAML mapping
-- an administrator wrote (or an adopted release brought along) and merged under the
-- generated values, which win on conflicts. Empty: none, so existing hubs are unchanged.
ALTER TABLE hubs ADD COLUMN extra_values TEXT NOT NULL DEFAULT ''
    CHECK (length(extra_values) <= 262144);
