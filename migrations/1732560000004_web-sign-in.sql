-- Up Migration

-- main-app: traders who sign in from a browser (`recio users add|passwd|disable`), with an argon2id
-- hash of their password, and their sessions, stored as the SHA-256 of the cookie's token (a copy of
-- this table signs nobody in) with the secret its CSRF tokens are made from. A password change or a
-- disable deletes the user's sessions.
CREATE TABLE web_user (
  user_id text PRIMARY KEY CHECK (user_id ~ '^[a-z0-9_]{1,64}$'),
  password_hash text NOT NULL,
  admin boolean NOT NULL DEFAULT false,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_session (
  token_sha256 bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
  user_id text NOT NULL REFERENCES web_user ON DELETE CASCADE,
  csrf_secret text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_session_user ON web_session (user_id);
