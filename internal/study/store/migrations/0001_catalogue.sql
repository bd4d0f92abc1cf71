-- The catalogue: programmes, modules, lectures and the two many-to-many links.
-- Written in PostgreSQL's types; internal/db adapts them for SQLite.

CREATE TABLE programmes (
	id               TEXT PRIMARY KEY,
	title            TEXT NOT NULL,
	degree           TEXT NOT NULL,
	semesters        INTEGER NOT NULL CHECK (semesters > 0),
	credits_required INTEGER NOT NULL CHECK (credits_required >= 0),
	description      TEXT NOT NULL DEFAULT '',
	language         TEXT NOT NULL DEFAULT '',
	status           TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
	created_at       TIMESTAMPTZ NOT NULL,
	updated_at       TIMESTAMPTZ NOT NULL,
	version          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE modules (
	id                 TEXT PRIMARY KEY,
	code               TEXT NOT NULL UNIQUE,
	title              TEXT NOT NULL,
	credits            INTEGER NOT NULL CHECK (credits >= 0),
	duration_semesters INTEGER NOT NULL DEFAULT 1 CHECK (duration_semesters > 0),
	description        TEXT NOT NULL DEFAULT '',
	responsible        TEXT NOT NULL DEFAULT '',
	teaching_form      TEXT NOT NULL DEFAULT '',
	examination_form   TEXT NOT NULL DEFAULT '',
	created_at         TIMESTAMPTZ NOT NULL,
	updated_at         TIMESTAMPTZ NOT NULL,
	version            INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE lectures (
	id             TEXT PRIMARY KEY,
	code           TEXT NOT NULL UNIQUE,
	title          TEXT NOT NULL,
	description    TEXT NOT NULL DEFAULT '',
	semester       TEXT NOT NULL DEFAULT 'both' CHECK (semester IN ('winter', 'summer', 'both')),
	responsible    TEXT NOT NULL DEFAULT '',
	hours_per_week INTEGER NOT NULL DEFAULT 0 CHECK (hours_per_week >= 0),
	created_at     TIMESTAMPTZ NOT NULL,
	updated_at     TIMESTAMPTZ NOT NULL,
	version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE programme_modules (
	programme_id          TEXT NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
	module_id             TEXT NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
	compulsory            BOOLEAN NOT NULL DEFAULT TRUE,
	recommended_semester  INTEGER NOT NULL DEFAULT 1 CHECK (recommended_semester > 0),
	PRIMARY KEY (programme_id, module_id)
);
CREATE INDEX programme_modules_module ON programme_modules (module_id);

CREATE TABLE module_lectures (
	module_id  TEXT NOT NULL REFERENCES modules (id) ON DELETE CASCADE,
	lecture_id TEXT NOT NULL REFERENCES lectures (id) ON DELETE CASCADE,
	PRIMARY KEY (module_id, lecture_id)
);
CREATE INDEX module_lectures_lecture ON module_lectures (lecture_id);
