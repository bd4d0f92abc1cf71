-- Accounts, roles and permissions of the identity service.
-- Written in PostgreSQL's types; internal/db adapts them for SQLite.

CREATE TABLE accounts (
	id              TEXT PRIMARY KEY,           -- opaque subject id (sub)
	username        TEXT NOT NULL,
	username_key    TEXT NOT NULL UNIQUE,       -- case-folded, for uniqueness and look-up
	email           TEXT NOT NULL,
	email_key       TEXT NOT NULL UNIQUE,       -- case-folded
	display_name    TEXT NOT NULL DEFAULT '',
	given_name      TEXT NOT NULL DEFAULT '',
	family_name     TEXT NOT NULL DEFAULT '',
	semester        INTEGER NOT NULL DEFAULT 0,
	programme_id    TEXT NOT NULL DEFAULT '',
	programme_title TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
	email_verified  BOOLEAN NOT NULL DEFAULT FALSE,
	password_hash   TEXT,                       -- NULL: no local password (directory accounts)
	failed_logins   INTEGER NOT NULL DEFAULT 0,
	locked_until    TIMESTAMPTZ,
	created_at      TIMESTAMPTZ NOT NULL,
	updated_at      TIMESTAMPTZ NOT NULL,
	last_login_at   TIMESTAMPTZ,
	version         INTEGER NOT NULL DEFAULT 1  -- for If-Match on concurrent edits
);

CREATE TABLE roles (
	name        TEXT PRIMARY KEY,
	description TEXT NOT NULL DEFAULT '',
	builtin     BOOLEAN NOT NULL DEFAULT FALSE,
	created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE role_permissions (
	role       TEXT NOT NULL REFERENCES roles (name) ON DELETE CASCADE,
	permission TEXT NOT NULL,
	PRIMARY KEY (role, permission)
);

CREATE TABLE account_roles (
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	role       TEXT NOT NULL REFERENCES roles (name),
	PRIMARY KEY (account_id, role)
);
CREATE INDEX account_roles_role ON account_roles (role);

-- One-time facts about this installation, such as "the first administrator
-- was created"; the primary key makes each happen once across replicas.
CREATE TABLE installation (
	fact       TEXT PRIMARY KEY,
	done_at    TIMESTAMPTZ NOT NULL
);

INSERT INTO roles (name, description, builtin, created_at) VALUES
	('admin',   'Administrators: accounts, roles and the catalogue', TRUE, CURRENT_TIMESTAMP),
	('staff',   'Staff: chairs and the examination office; record grades', TRUE, CURRENT_TIMESTAMP),
	('student', 'Students: their own programme, enrolments and grades', TRUE, CURRENT_TIMESTAMP);

INSERT INTO role_permissions (role, permission) VALUES
	('admin', 'users:read'), ('admin', 'users:write'), ('admin', 'roles:write'),
	('admin', 'studies:write'), ('admin', 'grades:write'), ('admin', 'grades:read'),
	('staff', 'grades:write'), ('staff', 'grades:read');
