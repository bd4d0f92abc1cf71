-- Search checks a message for a common word (message id, then the word's
-- range): the index by message gains the word.
DROP INDEX message_words_message;
CREATE INDEX message_words_message ON message_words (message_id, word);
