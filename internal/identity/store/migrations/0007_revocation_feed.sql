-- Authority follows the account: the revocation feed that resource servers
-- (study, portal) poll, and the subject an authorization request was started
-- for (id_token_hint), which the person who signs in must be.

-- When a directly revoked token was revoked, so the feed can hand out what
-- changed since a poll. Older rows keep NULL and are listed in full polls.
ALTER TABLE revoked_access_tokens ADD COLUMN revoked_at TIMESTAMPTZ;
CREATE INDEX revoked_access_tokens_revoked ON revoked_access_tokens (revoked_at);
CREATE INDEX access_tokens_revoked ON access_tokens (revoked_at);
CREATE INDEX access_tokens_account ON access_tokens (account_id);

-- Every token of the account issued before revoked_at is dead: the account
-- was disabled, its password reset or changed, its roles or restrictions
-- changed. Kept until every access token issued before it has expired.
CREATE TABLE subject_revocations (
	account_id  TEXT PRIMARY KEY,
	revoked_at  TIMESTAMPTZ NOT NULL,
	expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX subject_revocations_revoked ON subject_revocations (revoked_at);

ALTER TABLE auth_requests ADD COLUMN hint_subject TEXT NOT NULL DEFAULT '';
