-- TOTP second factor per user (secret encrypted under the master key) and
-- node-local settings per organisation.
ALTER TABLE users ADD COLUMN totp_secret_enc TEXT;
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
CREATE TABLE org_settings (
  org_id TEXT PRIMARY KEY,
  require_totp INTEGER NOT NULL DEFAULT 0,
  updated BIGINT NOT NULL
);
