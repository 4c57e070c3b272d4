-- Starting and stopping users' servers through a hub's own REST API (issue 11): per hub, the
-- URL of its API and an administrator-scoped JupyterHub API token. The token is kept only
-- encrypted (ChaCha20-Poly1305, a key from the portal's configuration, a fresh nonce per
-- value) and is never shown again; `token_hint` (its last 4 characters) lets people recognise
-- which token is set. The row goes with its hub.
CREATE TABLE hub_rest_access (
    hub_id           INTEGER PRIMARY KEY REFERENCES hubs (id) ON DELETE CASCADE,
    api_url          TEXT    NOT NULL CHECK (length(api_url) BETWEEN 8 AND 500),
    token_nonce      BLOB    NOT NULL CHECK (length(token_nonce) = 12),
    token_ciphertext BLOB    NOT NULL CHECK (length(token_ciphertext) > 16),
    token_hint       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    updated_by       TEXT    NOT NULL
);
