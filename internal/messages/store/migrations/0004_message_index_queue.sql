-- Messages whose search words are not yet in message_words: a send writes
-- one row here instead of its words, the indexer (IndexPending) moves them
-- to message_words in batches, and a search checks the rows still here.
CREATE TABLE message_index_queue (
	message_id      TEXT PRIMARY KEY,
	conversation_id TEXT NOT NULL
);
CREATE INDEX message_index_queue_conversation ON message_index_queue (conversation_id, message_id);
