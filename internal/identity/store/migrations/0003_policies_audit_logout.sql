-- Sign-in rules, the audit trail, consent, and the back-channel logout outbox.

-- A role may be limited to some applications (JSON array of client ids,
-- empty: any) and to a login window (JSON object, NULL: any time).
ALTER TABLE roles ADD COLUMN allowed_clients TEXT NOT NULL DEFAULT '[]';
ALTER TABLE roles ADD COLUMN login_window TEXT;
-- An account's own window replaces those of its roles.
ALTER TABLE accounts ADD COLUMN login_window TEXT;

-- Every sign-in attempt, lock, unlock, role, password and client change.
-- Never a secret: detail holds only non-secret context.
CREATE TABLE audit_events (
	id        TEXT PRIMARY KEY,            -- time-ordered (UUIDv7)
	at        TIMESTAMPTZ NOT NULL,
	action    TEXT NOT NULL,               -- e.g. sign_in, lock, unlock, roles_changed
	outcome   TEXT NOT NULL,               -- success, failure, denied
	actor     TEXT NOT NULL DEFAULT '',    -- account id or client id acting, '' if anonymous
	target    TEXT NOT NULL DEFAULT '',    -- account, role or client acted upon
	client_ip TEXT NOT NULL DEFAULT '',
	client_id TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target, at);
CREATE INDEX audit_events_action ON audit_events (action, at);

-- Consent given by a person to a third-party application.
CREATE TABLE consents (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
	scopes     TEXT NOT NULL DEFAULT '[]',
	granted_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (account_id, client_id)
);

-- Back-channel logout deliveries (OIDC Back-Channel Logout 1.0), written in
-- the transaction that ends the session, sent by a worker with retries.
CREATE TABLE logout_deliveries (
	id              TEXT PRIMARY KEY,
	client_id       TEXT NOT NULL,
	uri             TEXT NOT NULL,
	account_id      TEXT NOT NULL,
	session_id      TEXT NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL,
	delivered_at    TIMESTAMPTZ,
	failed_at       TIMESTAMPTZ,               -- gave up
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (delivered_at, failed_at, next_attempt_at);
