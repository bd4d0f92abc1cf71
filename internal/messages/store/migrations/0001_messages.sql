-- The messaging service's schema. Written in PostgreSQL's types;
-- internal/db adapts them for SQLite. The event log, whose key differs
-- between the engines, is in 0002.

-- Conversations: direct ones have their ordered pair (direct_a < direct_b)
-- unique, notices conversations their person, course groups their course;
-- NULL elsewhere, and NULLs never collide in a unique key.
CREATE TABLE conversations (
	id              TEXT PRIMARY KEY,
	kind            TEXT NOT NULL CHECK (kind IN ('direct', 'group', 'course', 'notices')),
	name            TEXT NOT NULL DEFAULT '',
	course_kind     TEXT,
	course_id       TEXT,
	direct_a        TEXT,
	direct_b        TEXT,
	notices_for     TEXT UNIQUE,
	-- roster_hash is the digest of the roster a course group was last
	-- synchronised to: an unchanged roster is skipped without reading its
	-- members.
	roster_hash     TEXT NOT NULL DEFAULT '',
	created_by      TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	version         INTEGER NOT NULL DEFAULT 1,
	last_message_at TIMESTAMPTZ NOT NULL,
	-- member_count is kept with every change of members: lists show it,
	-- and counting a course group of thousands for each would not do.
	member_count    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (direct_a, direct_b),
	UNIQUE (course_kind, course_id)
);
CREATE INDEX conversations_kind ON conversations (kind, id);

-- Members: a former member has no row (their history stays with the
-- conversation, unreadable to them). read_up_to is a message id, '' for
-- none; ids sort in time, so "after the marker" is id > read_up_to.
CREATE TABLE members (
	conversation_id TEXT NOT NULL REFERENCES conversations (id),
	subject         TEXT NOT NULL,
	role            TEXT NOT NULL CHECK (role IN ('admin', 'member')),
	joined_at       TIMESTAMPTZ NOT NULL,
	read_up_to      TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (conversation_id, subject)
);
CREATE INDEX members_subject ON members (subject, conversation_id);

-- Messages: ids are UUIDv7, so (conversation_id, id) is the history's
-- order and its keyset index. mentions is a JSON array of subjects.
CREATE TABLE messages (
	id              TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL REFERENCES conversations (id),
	sender          TEXT NOT NULL DEFAULT '',
	text            TEXT NOT NULL DEFAULT '',
	text_de         TEXT NOT NULL DEFAULT '',
	reply_to        TEXT NOT NULL DEFAULT '',
	mentions        TEXT NOT NULL DEFAULT '[]',
	created_at      TIMESTAMPTZ NOT NULL,
	edited_at       TIMESTAMPTZ,
	deleted         BOOLEAN NOT NULL DEFAULT FALSE,
	notice_kind     TEXT NOT NULL DEFAULT '',
	link            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_history ON messages (conversation_id, id);

-- Attachments' descriptions; their content is kept by key (blob_key) in
-- attachment_data or, later, an object store.
CREATE TABLE attachments (
	id              TEXT PRIMARY KEY,
	message_id      TEXT NOT NULL REFERENCES messages (id),
	conversation_id TEXT NOT NULL,
	position        INTEGER NOT NULL,
	name            TEXT NOT NULL,
	content_type    TEXT NOT NULL,
	size            BIGINT NOT NULL,
	sha256          TEXT NOT NULL,
	blob_key        TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id, position);

CREATE TABLE attachment_data (
	key  TEXT PRIMARY KEY,
	data BYTEA NOT NULL
);

-- Search words of messages (internal/textsearch): a term is a range scan
-- of word, narrowed to the searcher's conversations.
CREATE TABLE message_words (
	word            BYTEA NOT NULL,
	conversation_id TEXT NOT NULL,
	message_id      TEXT NOT NULL,
	PRIMARY KEY (word, conversation_id, message_id)
);
CREATE INDEX message_words_message ON message_words (message_id);

-- Idempotency keys of notices: a retried notice is stored once.
CREATE TABLE notice_keys (
	key        TEXT PRIMARY KEY,
	created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE presence (
	subject        TEXT PRIMARY KEY,
	last_active_at TIMESTAMPTZ,
	hidden         BOOLEAN NOT NULL DEFAULT FALSE
);

-- The reach rules: one row, absent until an administrator changes them.
CREATE TABLE rules (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	data       TEXT NOT NULL,
	version    INTEGER NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	updated_by TEXT NOT NULL
);

-- Digest mails: due_up_to is the newest message.created event that made
-- the person due, sent_up_to what their last digest covered; due when
-- due_up_to > sent_up_to. digest_scan is how far the scan for aged
-- messages went through the event log.
CREATE TABLE digest_state (
	subject    TEXT PRIMARY KEY,
	due_up_to  BIGINT NOT NULL DEFAULT 0,
	sent_up_to BIGINT NOT NULL DEFAULT 0
);
-- Only those due are indexed: the rest are most people, most of the time.
CREATE INDEX digest_state_due ON digest_state (due_up_to, subject) WHERE due_up_to > sent_up_to;

CREATE TABLE digest_scan (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	up_to BIGINT NOT NULL
);
INSERT INTO digest_scan (id, up_to) VALUES (1, 0);

-- Leases of background jobs: one holder at a time across replicas.
CREATE TABLE jobs (
	name   TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	until  TIMESTAMPTZ NOT NULL
);
