-- Personal API keys: read-only access for programs on a person's behalf.
-- Only the SHA-256 of a key is kept (a key is 256 random bits, so a fast
-- hash is enough); the prefix is shown so that people recognise their keys.
CREATE TABLE api_keys (
	id           TEXT PRIMARY KEY,
	account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL UNIQUE,
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ,
	last_used_at TIMESTAMPTZ,
	revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_keys_account ON api_keys (account_id, created_at);
