-- SQLite's search words move from message_words to an FTS5 index.
--
-- A message's ~12 rows in message_words cost the indexer about 95 us per
-- message (three B-trees per word: the rowid table, its key and the index
-- by message), more than the rest of a send; FTS5 writes a batch's words
-- as one segment, about 5 us per message (docs/performance.md,
-- "Messages"). The index is contentless (it keeps no text: the words are
-- in messages already) with contentless_delete, so an edited or deleted
-- message's entry goes by its rowid; detail=none, since search asks for
-- word prefixes only, never phrases. Each token is a search word of
-- textsearch.Words in hex, so that FTS5's tokenizer splits nothing and a
-- prefix of a word is a prefix of its token (index.go, ftsQuery).
--
-- Its rowid is messages.seq, a number this trigger gives each message
-- when it is written, one above the highest: messages' own rowid would
-- do until a VACUUM renumbers it (a table without an INTEGER PRIMARY KEY),
-- and the index would then name the wrong messages.
ALTER TABLE messages ADD COLUMN seq INTEGER;
UPDATE messages SET seq = rowid;
CREATE UNIQUE INDEX messages_seq ON messages (seq);
CREATE TRIGGER messages_seq AFTER INSERT ON messages WHEN NEW.seq IS NULL
BEGIN
	UPDATE messages SET seq = (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages) WHERE rowid = NEW.rowid;
END;

CREATE VIRTUAL TABLE message_fts USING fts5(words, content = '', contentless_delete = 1, detail = none);

-- The queue without a rowid: a send's row goes to two B-trees (its key
-- and the index by conversation), not three.
CREATE TABLE message_index_queue_compact (
	message_id      TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO message_index_queue_compact (message_id, conversation_id) SELECT message_id, conversation_id FROM message_index_queue;
DROP TABLE message_index_queue;
ALTER TABLE message_index_queue_compact RENAME TO message_index_queue;
CREATE INDEX message_index_queue_conversation ON message_index_queue (conversation_id, message_id);

-- Every message is indexed again by the indexer (search checks queued
-- messages meanwhile, or indexes them first); the old words go.
INSERT OR IGNORE INTO message_index_queue (message_id, conversation_id)
	SELECT id, conversation_id FROM messages WHERE NOT deleted;
DROP TABLE message_words;
