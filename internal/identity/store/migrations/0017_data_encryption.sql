-- Personal data encrypted at rest (internal/identity/datakeys). Usernames,
-- addresses, names and directory DNs are stored sealed; the columns that
-- are looked up hold keyed blind indexes; the search words become keyed
-- hashes of word prefixes. The existing rows are converted by the store
-- when identity starts (in batches, resumable), not by this migration,
-- which cannot compute the keys.

-- Data key versions: a version's key is derived from the key-encryption
-- key and its salt. after_id is how far the re-encryption with this
-- version has come (accounts, by id); done_at is set once every row is
-- sealed with it. key_check tells a wrong key-encryption key at start,
-- before anything is written with it.
CREATE TABLE data_keys (
	version    INTEGER PRIMARY KEY,
	salt       BYTEA NOT NULL,
	key_check  TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	after_id   TEXT NOT NULL DEFAULT '',
	done_at    TIMESTAMPTZ
);

-- A sealed DN is different every time it is written: uniqueness and the
-- look-up by DN move to its blind index.
DROP INDEX accounts_directory_dn;
ALTER TABLE accounts ADD COLUMN directory_dn_key TEXT;
CREATE UNIQUE INDEX accounts_directory_dn_key ON accounts (directory_dn_key);
