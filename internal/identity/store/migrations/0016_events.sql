-- Issue 16: events (an exam, an open day, an election) with a batch of
-- accounts that sign in with a generated username and a numeric PIN.
-- Each event has a role of its own that carries its login window and the
-- applications its accounts may use, so that the sign-in rules every
-- account already follows (roles' windows and application limits) decide
-- for them too; the event's optional role is given besides.
CREATE TABLE events (
	id              TEXT PRIMARY KEY,            -- time-ordered (UUIDv7)
	name            TEXT NOT NULL,
	description     TEXT NOT NULL DEFAULT '',
	own_role        TEXT NOT NULL UNIQUE REFERENCES roles (name),
	extra_role      TEXT REFERENCES roles (name),
	username_prefix TEXT NOT NULL DEFAULT '',
	pin_length      INTEGER NOT NULL DEFAULT 8,
	afterwards      TEXT NOT NULL DEFAULT 'delete' CHECK (afterwards IN ('delete', 'disable')),
	accounts        INTEGER NOT NULL DEFAULT 0,  -- the current batch's size
	generated_at    TIMESTAMPTZ,                 -- when the current batch was made
	ended_at        TIMESTAMPTZ,                 -- when the event was ended (its accounts deleted or disabled)
	created_by      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX events_created ON events (created_at);

-- An event's accounts; NULL for everyone else. label is what an account
-- is for (a polling station, an exam room), from an uploaded list.
ALTER TABLE accounts ADD COLUMN event_id TEXT REFERENCES events (id);
ALTER TABLE accounts ADD COLUMN event_label TEXT NOT NULL DEFAULT '';
CREATE INDEX accounts_event ON accounts (event_id);

-- Administrators manage events; the permission is new, so no choice of an
-- administrator is overridden (as in 0014).
INSERT INTO role_permissions (role, permission)
	SELECT 'admin', 'events:write' WHERE EXISTS (SELECT 1 FROM roles WHERE name = 'admin')
		AND NOT EXISTS (SELECT 1 FROM role_permissions WHERE role = 'admin' AND permission = 'events:write');
UPDATE roles SET version = version + 1 WHERE name = 'admin';
