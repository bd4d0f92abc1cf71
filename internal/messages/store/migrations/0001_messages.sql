-- The messaging service's schema: written by the store's first migration.
CREATE TABLE placeholder_until_the_store_lands (id INTEGER PRIMARY KEY);
