-- The event log open clients resume from. AUTOINCREMENT: ids are never
-- reused, even after the newest events are purged.
CREATE TABLE events (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	kind            TEXT NOT NULL,
	conversation_id TEXT NOT NULL DEFAULT '',
	subject         TEXT NOT NULL DEFAULT '',
	data            TEXT NOT NULL,
	created_at      TIMESTAMP NOT NULL
);
CREATE INDEX events_created ON events (created_at);

-- purged_up_to is the newest event id PurgeEvents removed: a client that
-- resumes from before it has missed events and must reload.
CREATE TABLE events_purged (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	purged_up_to BIGINT NOT NULL
);
INSERT INTO events_purged (id, purged_up_to) VALUES (1, 0);
