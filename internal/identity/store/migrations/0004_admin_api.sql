-- The admin REST API: versions for If-Match on roles, a word index for
-- searching accounts, and the indexes that keep listing, sorting and
-- filtering 100,000 accounts fast on both engines.

-- Roles get a version (ETag) like accounts have one.
ALTER TABLE roles ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE roles ADD COLUMN updated_at TIMESTAMPTZ;

-- Search words of an account: its username and e-mail whole, and every
-- word of its username, e-mail local part and names, lower-cased and
-- without diacritics. A search term matches the words it is a prefix of,
-- which is a range scan of account_search_token. The words are bytes, not
-- text, so that both engines compare them bytewise: a PostgreSQL database
-- with a language collation would otherwise order "ann", "ann-x", "anna"
-- in a way that no prefix range can follow. The store writes these rows in
-- the transaction that writes the account.
CREATE TABLE account_search (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	word       BYTEA NOT NULL,
	PRIMARY KEY (account_id, word)
);
CREATE INDEX account_search_word ON account_search (word, account_id);

-- Keyset paging in each sort order the API offers. username_key and
-- email_key are unique and indexed already.
CREATE INDEX accounts_created ON accounts (created_at, id);
CREATE INDEX accounts_last_login ON accounts (last_login_at, id);
-- Disabled accounts are usually few; finding them must not scan the rest.
CREATE INDEX accounts_disabled ON accounts (id) WHERE status = 'disabled';

-- Role filter: the members of a role straight from the index.
DROP INDEX account_roles_role;
CREATE INDEX account_roles_role ON account_roles (role, account_id);

-- Audit filter by actor (action and target have theirs).
CREATE INDEX audit_events_actor ON audit_events (actor, at);
