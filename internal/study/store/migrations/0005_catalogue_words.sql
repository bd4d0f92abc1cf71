-- Search words of programmes, modules and lectures (internal/textsearch):
-- a search term matches the words it begins, a range scan of the index.
-- Words are bytes so that both engines compare them bytewise.
CREATE TABLE catalogue_words (
	kind TEXT NOT NULL CHECK (kind IN ('programme', 'module', 'lecture')),
	id   TEXT NOT NULL,
	word BYTEA NOT NULL,
	PRIMARY KEY (kind, id, word)
);
CREATE INDEX catalogue_words_word ON catalogue_words (kind, word, id);
