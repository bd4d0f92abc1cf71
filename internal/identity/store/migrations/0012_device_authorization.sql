-- The OAuth 2.0 Device Authorization Grant (RFC 8628): one row per device
-- authorization request, from the device's request until its device code
-- is spent or expires. Both codes are stored only as SHA-256 hashes (the
-- device code is a 128-bit random value; the user code is short, but lives
-- minutes and its entry is rate limited). state: pending, approved, denied,
-- used (tokens were issued: the device code is single use).
CREATE TABLE device_authorizations (
	device_code_hash TEXT PRIMARY KEY,
	user_code_hash   TEXT NOT NULL UNIQUE,
	client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	scopes           TEXT NOT NULL DEFAULT '[]',  -- as requested
	state            TEXT NOT NULL DEFAULT 'pending',
	account_id       TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	session_id       TEXT,                         -- the session the approval signed in: ending it revokes the tokens
	auth_time        TIMESTAMPTZ,
	amr              TEXT NOT NULL DEFAULT '[]',
	granted_scopes   TEXT NOT NULL DEFAULT '[]',  -- those the person's roles allow
	step_up          BOOLEAN NOT NULL DEFAULT FALSE,
	interval_seconds INTEGER NOT NULL,             -- polling interval; slow_down adds 5 (section 3.5)
	last_polled_at   TIMESTAMPTZ,
	created_at       TIMESTAMPTZ NOT NULL,
	expires_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);
