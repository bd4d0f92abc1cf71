-- Enrolments and grades. People are known only by their subject id (sub)
-- from identity's tokens; there is no table of people here.

CREATE TABLE enrolments (
	id           TEXT PRIMARY KEY,
	subject      TEXT NOT NULL,
	programme_id TEXT NOT NULL REFERENCES programmes (id),
	since        DATE NOT NULL,
	status       TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'withdrawn')),
	version      INTEGER NOT NULL DEFAULT 1,
	created_at   TIMESTAMPTZ NOT NULL,
	updated_at   TIMESTAMPTZ NOT NULL
);
-- One active enrolment per person and programme.
CREATE UNIQUE INDEX enrolments_active ON enrolments (subject, programme_id) WHERE status = 'active';
CREATE INDEX enrolments_programme ON enrolments (programme_id, status);

-- A grade per person, lecture (or module, for a module with one
-- examination) and attempt, in tenths on the German scale (10 = 1.0,
-- 50 = 5.0, a fail).
CREATE TABLE grades (
	id         TEXT PRIMARY KEY,
	subject    TEXT NOT NULL,
	lecture_id TEXT REFERENCES lectures (id),
	module_id  TEXT REFERENCES modules (id),
	attempt    INTEGER NOT NULL CHECK (attempt >= 1),
	grade      INTEGER NOT NULL CHECK (grade IN (10, 13, 17, 20, 23, 27, 30, 33, 37, 40, 50)),
	graded_on  DATE NOT NULL,
	grader     TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'provisional' CHECK (status IN ('provisional', 'final')),
	version    INTEGER NOT NULL DEFAULT 1,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	CHECK ((lecture_id IS NULL) <> (module_id IS NULL))
);
CREATE UNIQUE INDEX grades_lecture_attempt ON grades (subject, lecture_id, attempt) WHERE lecture_id IS NOT NULL;
CREATE UNIQUE INDEX grades_module_attempt ON grades (subject, module_id, attempt) WHERE module_id IS NOT NULL;
CREATE INDEX grades_lecture ON grades (lecture_id);
CREATE INDEX grades_module ON grades (module_id);
