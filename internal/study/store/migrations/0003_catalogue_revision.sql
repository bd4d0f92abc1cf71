-- A number that every change to the catalogue (programmes, modules,
-- lectures and their links) increases in the same transaction: readers
-- keep rendered views of the catalogue and compare this one number to know
-- whether they are current, on every replica.
CREATE TABLE catalogue_revision (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	revision BIGINT NOT NULL
);
INSERT INTO catalogue_revision (id, revision) VALUES (1, 1);
