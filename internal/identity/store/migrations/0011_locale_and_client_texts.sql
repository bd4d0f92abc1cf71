-- Issue 13: the language a person chose for mails (en or de; NULL: not
-- chosen, mails follow the browser, else the configured default), and the
-- texts an application shows on the sign-in page it starts. The texts are
-- JSON objects by language, e.g. {"en": "Election 2026", "de": "Wahl 2026"};
-- {} means the registered name and the configured welcome texts.
ALTER TABLE accounts ADD COLUMN locale TEXT;
ALTER TABLE clients ADD COLUMN display_names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE clients ADD COLUMN welcome_texts TEXT NOT NULL DEFAULT '{}';
