-- On SQLite the search words move to an FTS5 index (see the .sqlite
-- file); PostgreSQL keeps message_words.
SELECT 1;
