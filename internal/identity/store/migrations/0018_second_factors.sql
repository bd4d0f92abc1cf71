-- Issue 17: multi-factor sign-in. A person's second factors: authenticator
-- apps (TOTP, RFC 6238; the secret sealed with the data key ring, as
-- personal data is) and WebAuthn credentials (passkeys and security keys;
-- the credential record as go-webauthn stores it, public data). last_step
-- is the TOTP time step last accepted: a code is taken once, on any
-- replica (UseTOTPStep moves it forward in one statement).
CREATE TABLE mfa_factors (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	kind          TEXT NOT NULL,
	name          TEXT NOT NULL,
	secret        TEXT NOT NULL DEFAULT '',
	credential_id TEXT,
	credential    TEXT NOT NULL DEFAULT '',
	last_step     BIGINT NOT NULL DEFAULT 0,
	created_at    TIMESTAMPTZ NOT NULL,
	last_used_at  TIMESTAMPTZ
);
CREATE INDEX mfa_factors_account ON mfa_factors (account_id);
CREATE UNIQUE INDEX mfa_factors_credential ON mfa_factors (credential_id);

-- Recovery codes: ten per person, single use, stored as a keyed hash
-- (HMAC-SHA-256 with the data key ring's index key) of person and code.
CREATE TABLE recovery_codes (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	code_hash  TEXT NOT NULL,
	used_at    TIMESTAMPTZ,
	PRIMARY KEY (account_id, code_hash)
);

-- Ceremonies in progress: a sign-in whose password was right and that
-- waits for the second factor, an enrolment, a WebAuthn challenge. Kept
-- in the database (keyed by the hash of the browser's cookie or of the
-- ceremony id), so that any replica finishes what another began. data is
-- sealed (it may hold a TOTP secret not yet confirmed).
CREATE TABLE mfa_ceremonies (
	id_hash         TEXT PRIMARY KEY,
	account_id      TEXT REFERENCES accounts (id) ON DELETE CASCADE,
	purpose         TEXT NOT NULL,
	auth_request_id TEXT NOT NULL DEFAULT '',
	amr             TEXT NOT NULL DEFAULT '[]',
	data            TEXT NOT NULL DEFAULT '',
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_at      TIMESTAMPTZ NOT NULL,
	expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX mfa_ceremonies_expiry ON mfa_ceremonies (expires_at);

-- The authentication context classes a client asked for (acr_values): a
-- request for urn:campus:acr:mfa makes a person with a second factor
-- prove it even inside a single sign-on session of the password alone.
ALTER TABLE auth_requests ADD COLUMN acr_values TEXT NOT NULL DEFAULT '[]';
