-- How each background job last went, kept where every replica reads it:
-- GET /api/v1/directory answers the same on all of them. running_since and
-- holder are set while a run goes on and cleared when it ends; a holder
-- that died leaves them set, so readers also look at the job's lease.
-- last_report is JSON.
CREATE TABLE job_status (
	name          TEXT PRIMARY KEY,
	running_since TIMESTAMPTZ,
	holder        TEXT,
	last_start    TIMESTAMPTZ,
	last_end      TIMESTAMPTZ,
	last_error    TEXT NOT NULL DEFAULT '',
	last_report   TEXT
);
