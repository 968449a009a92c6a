-- Up Migration

-- A session remembers which password made it: the user's password_changed_at as its sign-in read it,
-- with the hash it verified. main-app takes a session as valid only while that is still the user's
-- (web-users.ts, findSession). A sign-in that verified the old password while `recio users passwd`
-- ran, and wrote its session after the change had deleted the user's sessions, made a session the
-- change never ended; now that session is refused once a replica asks PostgreSQL about it (within
-- SESSION_RECHECK_MS). Sessions already open keep working (they take their user's current value).
-- Nullable: a replica of the version before, still running during a rolling upgrade, writes
-- sessions without it; such a session is checked as before (findSession).
ALTER TABLE web_session ADD COLUMN password_changed_at timestamptz;
UPDATE web_session s SET password_changed_at = u.password_changed_at FROM web_user u WHERE u.user_id = s.user_id;

-- Down Migration

ALTER TABLE web_session DROP COLUMN password_changed_at;
