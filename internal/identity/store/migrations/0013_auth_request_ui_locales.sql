-- The languages the application asked the sign-in pages to speak
-- (ui_locales, OpenID Connect Core 1.0 section 3.1.2.1), space-separated
-- in order of preference, as the request sent them (issue 13).
ALTER TABLE auth_requests ADD COLUMN ui_locales TEXT NOT NULL DEFAULT '';
