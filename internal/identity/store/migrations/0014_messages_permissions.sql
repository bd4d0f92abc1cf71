-- Issue 14: the messages service. Every built-in role reads and writes
-- messages; installations made before it get the permissions here, new
-- ones too (0001 seeds the roles, this adds to them). The permissions
-- did not exist before, so no administrator's choice is overridden; the
-- roles' versions move on, so that an edit based on the old permissions
-- (If-Match) is refused rather than dropping the new ones.
INSERT INTO role_permissions (role, permission)
	SELECT r.name, p.permission FROM roles r,
		(SELECT 'messages:read' AS permission UNION ALL SELECT 'messages:write') p
	WHERE r.name IN ('admin', 'staff', 'student')
		AND NOT EXISTS (SELECT 1 FROM role_permissions x WHERE x.role = r.name AND x.permission = p.permission);
UPDATE roles SET version = version + 1 WHERE name IN ('admin', 'staff', 'student');

-- Mails that services asked identity to send (POST /api/v1/people/{id}/mail),
-- one row per (client, key): a service that repeats a request with the
-- same key gets the same answer, and the person no second mail. Rows
-- are forgotten after a week (housekeeping).
CREATE TABLE service_mails (
	id         TEXT PRIMARY KEY,
	client_id  TEXT NOT NULL,
	mail_key   TEXT NOT NULL,
	account_id TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	UNIQUE (client_id, mail_key)
);
CREATE INDEX service_mails_created ON service_mails (created_at);
