-- A refresh token's successor, kept when it is spent so that the same
-- client presenting it again within a few seconds (its answer was lost,
-- or two of its requests raced) gets the same successor instead of
-- losing the family (decision 47, RFC 9700 section 4.14.2).
-- successor_hash finds the successor's row; successor_sealed is its value
-- sealed with a key derived from the spent token, which only its holder
-- has (the database never holds a usable refresh token).
ALTER TABLE refresh_tokens ADD COLUMN successor_hash TEXT;
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;
