-- Entente schema 1 (PostgreSQL). Projections are rebuildable from `journal`;
-- node-local secrets and credentials (node, org_keys, poc_keys, users,
-- sessions, api_tokens, login_failures) are not projections.

CREATE TABLE node (
  id TEXT PRIMARY KEY,
  sign_public TEXT NOT NULL,
  sign_secret_enc TEXT NOT NULL,
  base_url TEXT NOT NULL,
  created BIGINT NOT NULL
);

CREATE TABLE journal (
  seq BIGINT PRIMARY KEY,             -- gapless: assigned under an advisory lock
  id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  author_org TEXT NOT NULL,
  origin_node TEXT NOT NULL,
  created BIGINT NOT NULL,
  subject TEXT NOT NULL,
  envelope TEXT NOT NULL              -- canonical bytes, kept verbatim (not JSONB)
);
CREATE INDEX journal_subject ON journal(subject, seq);

CREATE TABLE org_keys (
  org_id TEXT PRIMARY KEY,
  sign_public TEXT NOT NULL,
  sign_secret_enc TEXT NOT NULL,
  box_public TEXT NOT NULL,
  box_secret_enc TEXT NOT NULL,
  created BIGINT NOT NULL
);

CREATE TABLE orgs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  country TEXT,
  names JSONB NOT NULL,
  groupings JSONB NOT NULL,
  sectors JSONB NOT NULL,
  sign_public TEXT NOT NULL,
  box_public TEXT NOT NULL,
  home_node TEXT NOT NULL,
  website TEXT,
  envelope_id TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  search TSVECTOR NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX orgs_country ON orgs(country);
CREATE INDEX orgs_kind ON orgs(kind);
CREATE INDEX orgs_search ON orgs USING GIN(search);
CREATE TABLE org_groupings (org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
                            grouping TEXT NOT NULL, PRIMARY KEY (org_id, grouping));
CREATE TABLE org_sectors (org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
                          sector TEXT NOT NULL, PRIMARY KEY (org_id, sector));

CREATE TABLE pocs (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES orgs(id),
  role TEXT NOT NULL,
  function_title TEXT NOT NULL,
  languages JSONB NOT NULL,
  timezone TEXT NOT NULL,
  hours JSONB NOT NULL,
  erased INTEGER NOT NULL DEFAULT 0,
  name TEXT,
  channels JSONB,
  envelope_id TEXT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  search TSVECTOR NOT NULL DEFAULT ''::tsvector
);
CREATE INDEX pocs_org ON pocs(org_id);
CREATE INDEX pocs_search ON pocs USING GIN(search);
CREATE TABLE poc_languages (poc_id TEXT NOT NULL REFERENCES pocs(id) ON DELETE CASCADE,
                            lang TEXT NOT NULL, PRIMARY KEY (poc_id, lang));

CREATE TABLE poc_keys (
  poc_id TEXT PRIMARY KEY,
  key_enc TEXT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  is_operator INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created BIGINT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf TEXT NOT NULL,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL
);

CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  scopes JSONB NOT NULL,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL,
  revoked BIGINT
);

CREATE TABLE login_failures (
  key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  count INTEGER NOT NULL
);
