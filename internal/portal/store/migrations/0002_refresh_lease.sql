-- A session's tokens are refreshed by one request at a time, across
-- replicas: the request that sets refreshing_until (a short lease) asks
-- identity; the others wait for the tokens it stores. Two refreshes with
-- one refresh token would be a reuse, and identity would end the session.
ALTER TABLE sessions ADD COLUMN refreshing_until TIMESTAMPTZ;
