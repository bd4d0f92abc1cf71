-- Browser sessions of the portal (backend-for-frontend): the browser holds
-- only an opaque id; tokens stay here. The id is stored hashed so that a
-- leaked database does not hand out live sessions.
CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	subject      TEXT NOT NULL DEFAULT '',
	idp_sid      TEXT NOT NULL DEFAULT '',     -- identity's session id, for back-channel logout
	data         TEXT NOT NULL DEFAULT '{}',
	created_at   TIMESTAMPTZ NOT NULL,
	expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_idp_sid ON sessions (idp_sid);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
