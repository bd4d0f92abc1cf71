-- The mail outbox, single-use tokens sent by mail, directory links and
-- background-job leases.

-- Every mail identity sends, written in the transaction of the change that
-- causes it and sent by a worker with retries. The rendered message may hold
-- a single-use link or a generated password: it is emptied once the mail is
-- sent, so that the table keeps no secret longer than needed (a mail given
-- up keeps it, so that an administrator can retry it).
CREATE TABLE mail_outbox (
	id              TEXT PRIMARY KEY,           -- time-ordered (UUIDv7)
	kind            TEXT NOT NULL,              -- e.g. confirm_email, password_reset
	recipient       TEXT NOT NULL,
	account_id      TEXT NOT NULL DEFAULT '',
	message         TEXT NOT NULL,              -- JSON of the rendered mail; emptied once sent
	created_at      TIMESTAMPTZ NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL,
	sent_at         TIMESTAMPTZ,
	failed_at       TIMESTAMPTZ,                -- gave up
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, failed_at, next_attempt_at);
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- Single-use tokens sent by mail: e-mail confirmation (email holds the
-- address being confirmed) and password reset. Only the SHA-256 of a token
-- is kept; a token is 256 random bits and bound to its account.
CREATE TABLE account_tokens (
	token_hash TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password')),
	email      TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL,
	used_at    TIMESTAMPTZ
);
CREATE INDEX account_tokens_account ON account_tokens (account_id, purpose, created_at);

-- Accounts read from the university directory: the entry's DN links them
-- (NULL: a local account); directory_disabled marks accounts the sync
-- disabled because their owner left the group, so that it enables them
-- again when they return, but never an account an administrator disabled.
ALTER TABLE accounts ADD COLUMN directory_dn TEXT;
ALTER TABLE accounts ADD COLUMN directory_disabled BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX accounts_directory_dn ON accounts (directory_dn);

-- Leases of background jobs that must run on one replica at a time (the
-- directory sync): whoever holds an unexpired lease runs the job.
CREATE TABLE job_leases (
	name       TEXT PRIMARY KEY,
	holder     TEXT NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);

-- Addresses of accounts that existed before e-mail confirmation count as
-- confirmed: nobody who could sign in yesterday is locked out today.
UPDATE accounts SET email_verified = TRUE;
