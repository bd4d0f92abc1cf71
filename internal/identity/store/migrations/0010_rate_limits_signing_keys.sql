-- Rate limits shared by every replica (issue 12). One row per bucket: the
-- moment, in Unix nanoseconds, at which it is full again (the generic cell
-- rate algorithm's theoretical arrival time). key is a SHA-256 of the
-- limit's name and its subject, so no client address is stored in clear.
-- A row whose time has passed is a full bucket and may be deleted.
CREATE TABLE rate_limits (
	key  TEXT PRIMARY KEY,
	tat  BIGINT NOT NULL
);
CREATE INDEX rate_limits_tat ON rate_limits (tat);

-- At most one current and one next key per algorithm, whatever replicas
-- starting together do. Duplicates left by the old check-then-insert become
-- previous keys: still published, so the tokens they signed still verify.
UPDATE signing_keys SET state = 'previous'
	WHERE state IN ('current', 'next')
	AND id NOT IN (SELECT MIN(id) FROM signing_keys WHERE state IN ('current', 'next') GROUP BY alg, state);
CREATE UNIQUE INDEX signing_keys_one_live ON signing_keys (alg, state) WHERE state IN ('current', 'next');
