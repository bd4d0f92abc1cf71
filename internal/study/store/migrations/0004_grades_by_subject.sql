-- A person's grades are read by subject alone (their overview); the unique
-- indexes that start with subject are partial, which a query on subject
-- alone cannot use.
CREATE INDEX grades_subject ON grades (subject);
