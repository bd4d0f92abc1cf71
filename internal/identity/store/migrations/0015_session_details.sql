-- Issue 15: people and administrators see a person's sessions: when each
-- was last used, and from which address and browser it was signed in.
-- last_used_at moves at most once a minute (TouchSession), so that using
-- a session is no write per request. client_ip is the address the server
-- trusts (behind trusted proxies, the forwarded one); user_agent is what
-- the browser sent, untrusted text, cut to 256 bytes. Sessions from before
-- count as last used when they began.
ALTER TABLE sessions ADD COLUMN last_used_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_used_at = created_at;
