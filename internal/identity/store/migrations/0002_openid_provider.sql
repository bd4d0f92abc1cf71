-- The OpenID Provider: clients, authorization requests, sign-in sessions,
-- tokens and signing keys. Secrets are stored only as SHA-256 hashes (they
-- are 256-bit random values, so a slow hash adds nothing); private keys only
-- encrypted.

CREATE TABLE clients (
	id                        TEXT PRIMARY KEY,
	name                      TEXT NOT NULL,
	secret_hash               TEXT,                 -- NULL for public clients
	public                    BOOLEAN NOT NULL,
	first_party               BOOLEAN NOT NULL DEFAULT FALSE,
	redirect_uris             TEXT NOT NULL DEFAULT '[]', -- JSON arrays
	post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]',
	grant_types               TEXT NOT NULL DEFAULT '[]',
	scopes                    TEXT NOT NULL DEFAULT '[]',
	backchannel_logout_uri    TEXT NOT NULL DEFAULT '',
	id_token_alg              TEXT NOT NULL DEFAULT 'RS256',
	source                    TEXT NOT NULL DEFAULT 'db',  -- db, config, builtin
	created_at                TIMESTAMPTZ NOT NULL,
	updated_at                TIMESTAMPTZ NOT NULL
);

-- A user's sign-in at identity; the browser holds a random token whose hash
-- is token_hash. id is the sid claim given to relying parties.
CREATE TABLE sessions (
	id          TEXT PRIMARY KEY,
	token_hash  TEXT NOT NULL UNIQUE,
	account_id  TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	auth_time   TIMESTAMPTZ NOT NULL,
	amr         TEXT NOT NULL DEFAULT '[]',
	created_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL,
	ended_at    TIMESTAMPTZ
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Clients that received tokens in a session: they hear of its end.
CREATE TABLE session_clients (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	PRIMARY KEY (session_id, client_id)
);

CREATE TABLE auth_requests (
	id                    TEXT PRIMARY KEY,
	client_id             TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	redirect_uri          TEXT NOT NULL,
	state                 TEXT NOT NULL DEFAULT '',
	nonce                 TEXT NOT NULL DEFAULT '',
	scopes                TEXT NOT NULL DEFAULT '[]',
	response_type         TEXT NOT NULL,
	response_mode         TEXT NOT NULL DEFAULT '',
	code_challenge        TEXT NOT NULL DEFAULT '',
	code_challenge_method TEXT NOT NULL DEFAULT '',
	prompt                TEXT NOT NULL DEFAULT '[]',
	max_age               INTEGER,
	login_hint            TEXT NOT NULL DEFAULT '',
	account_id            TEXT,            -- set when the user has signed in
	session_id            TEXT,
	auth_time             TIMESTAMPTZ,
	amr                   TEXT NOT NULL DEFAULT '[]',
	step_up               BOOLEAN NOT NULL DEFAULT FALSE, -- password re-entered for this request
	done                  BOOLEAN NOT NULL DEFAULT FALSE,
	code_hash             TEXT UNIQUE,
	code_expires_at       TIMESTAMPTZ,
	redeemed_at           TIMESTAMPTZ,     -- a second redemption revokes what the first issued
	created_at            TIMESTAMPTZ NOT NULL,
	expires_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);

-- Refresh tokens rotate on every use; family_id ties the chain together so
-- that reuse of a spent token revokes the whole family.
CREATE TABLE refresh_tokens (
	id              TEXT PRIMARY KEY,
	token_hash      TEXT NOT NULL UNIQUE,
	family_id       TEXT NOT NULL,
	auth_request_id TEXT,
	client_id       TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	session_id      TEXT,
	scopes          TEXT NOT NULL DEFAULT '[]',
	amr             TEXT NOT NULL DEFAULT '[]',
	auth_time       TIMESTAMPTZ NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL,
	expires_at      TIMESTAMPTZ NOT NULL,
	used_at         TIMESTAMPTZ,
	revoked_at      TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id);

-- Access tokens issued to users (JWTs; the row lets revocation, code reuse
-- and session ends invalidate them). Client-credentials tokens are not
-- recorded; revoking one adds its id to revoked_access_tokens.
CREATE TABLE access_tokens (
	id              TEXT PRIMARY KEY,      -- the jti
	family_id       TEXT,
	auth_request_id TEXT,
	session_id      TEXT,
	client_id       TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	scopes          TEXT NOT NULL DEFAULT '[]',
	expires_at      TIMESTAMPTZ NOT NULL,
	revoked_at      TIMESTAMPTZ
);
CREATE INDEX access_tokens_family ON access_tokens (family_id);
CREATE INDEX access_tokens_session ON access_tokens (session_id);
CREATE INDEX access_tokens_auth_request ON access_tokens (auth_request_id);

CREATE TABLE revoked_access_tokens (
	id         TEXT PRIMARY KEY,
	expires_at TIMESTAMPTZ NOT NULL
);

-- Signing keys: per algorithm one current key, the next one (published
-- ahead so caches know it before it signs) and the previous one (published
-- so tokens in flight stay valid).
CREATE TABLE signing_keys (
	id          TEXT PRIMARY KEY,          -- kid
	alg         TEXT NOT NULL,
	state       TEXT NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired')),
	private_key BYTEA NOT NULL,            -- PKCS#8, AES-256-GCM encrypted
	public_jwk  TEXT NOT NULL,
	created_at  TIMESTAMPTZ NOT NULL,
	rotated_at  TIMESTAMPTZ
);
CREATE INDEX signing_keys_state ON signing_keys (state);
