-- Password lifecycle: a password that must be changed at the next sign-in (the first-run
-- administrator's, and any an administrator resets), and a per-account session epoch. A
-- session remembers the epoch it was started at; changing or resetting the password, or
-- disabling the account, increments it, which ends every other session of the account on its
-- next request.

ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
    CHECK (must_change_password IN (0, 1));

ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0
    CHECK (session_epoch >= 0);

ALTER TABLE users ADD COLUMN password_changed_at TEXT;
