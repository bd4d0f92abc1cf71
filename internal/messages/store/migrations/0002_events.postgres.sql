-- The event log open clients resume from. Transactions that add events
-- take an advisory lock first (see the store's events.go), so events
-- commit in id order.
CREATE TABLE events (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind            TEXT NOT NULL,
	conversation_id TEXT NOT NULL DEFAULT '',
	subject         TEXT NOT NULL DEFAULT '',
	data            TEXT NOT NULL,
	created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_created ON events (created_at);

-- purged_up_to is the newest event id PurgeEvents removed: a client that
-- resumes from before it has missed events and must reload.
CREATE TABLE events_purged (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	purged_up_to BIGINT NOT NULL
);
INSERT INTO events_purged (id, purged_up_to) VALUES (1, 0);
