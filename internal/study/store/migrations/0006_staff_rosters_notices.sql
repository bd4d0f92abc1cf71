-- Responsible staff, the rosters the messages service polls, and the
-- outbox of notices to it (issue 14).

-- The people responsible for a programme or module, by subject id: they
-- are the admins of its course group in messages.
CREATE TABLE programme_staff (
	programme_id TEXT NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
	subject      TEXT NOT NULL,
	PRIMARY KEY (programme_id, subject)
);
CREATE INDEX programme_staff_subject ON programme_staff (subject);

CREATE TABLE module_staff (
	module_id TEXT NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
	subject   TEXT NOT NULL,
	PRIMARY KEY (module_id, subject)
);
CREATE INDEX module_staff_subject ON module_staff (subject);

-- The rosters' revision, increased in the same transaction as every change
-- that can change a roster (enrolments, staff, and every catalogue change,
-- which increases the catalogue revision beside it): the ETag of
-- GET /v1/rosters, so that a poll of unchanged rosters costs one row.
ALTER TABLE catalogue_revision ADD COLUMN roster BIGINT NOT NULL DEFAULT 1;

-- Notices to the messages service (grade published, programme changed),
-- written in the transaction of the change that causes them, delivered
-- by a worker under leases. One row is one call of POST /v1/notices: at
-- most 1000 recipients (a JSON array); its id is the Idempotency-Key.
CREATE TABLE notices_outbox (
	id              TEXT PRIMARY KEY,
	kind            TEXT NOT NULL,
	recipients      TEXT NOT NULL,
	text            TEXT NOT NULL,
	text_de         TEXT NOT NULL,
	link            TEXT NOT NULL DEFAULT '',
	created_at      TIMESTAMPTZ NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TIMESTAMPTZ NOT NULL,
	delivered_at    TIMESTAMPTZ,
	failed_at       TIMESTAMPTZ,               -- given up
	last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notices_outbox_due ON notices_outbox (delivered_at, failed_at, next_attempt_at);
