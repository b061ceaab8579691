-- Federation (src/federation): the peers this node replicates with, what it
-- rejected from them, the nonces of signed requests it accepted (against
-- replays), envelopes waiting for what they depend on, and the signed tree
-- heads seen from peers (transparency gossip).
CREATE TABLE peers (
  node_id TEXT PRIMARY KEY,          -- fingerprint of the peer's node key
  base_url TEXT NOT NULL,
  public_key TEXT NOT NULL,          -- base64url Ed25519, pinned at `peer add`
  state TEXT NOT NULL,               -- active | suspended | removed
  cursor BIGINT NOT NULL DEFAULT 0,  -- last seq of the peer's feed applied here
  received BIGINT NOT NULL DEFAULT 0,
  applied BIGINT NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,  -- consecutive failed pulls
  last_error TEXT NOT NULL DEFAULT '',
  last_success BIGINT,
  next_retry BIGINT NOT NULL DEFAULT 0,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL
);

-- Envelopes and requests refused, per peer and reason.
CREATE TABLE federation_rejections (
  node_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  count BIGINT NOT NULL,
  last_detail TEXT NOT NULL,
  updated BIGINT NOT NULL,
  PRIMARY KEY (node_id, reason)
);

CREATE TABLE federation_nonces (
  node_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires BIGINT NOT NULL,
  PRIMARY KEY (node_id, nonce)
);
CREATE INDEX federation_nonces_expires ON federation_nonces (expires);

CREATE TABLE federation_pending (
  id TEXT PRIMARY KEY,               -- envelope id
  peer TEXT NOT NULL,
  envelope TEXT NOT NULL,            -- canonical JSON as received
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  created BIGINT NOT NULL
);

CREATE TABLE federation_heads (
  log_node TEXT NOT NULL,            -- node whose log the head is of
  seen_via TEXT NOT NULL,            -- node that showed it to us ('' = the log's own node)
  tree_size BIGINT NOT NULL,
  root TEXT NOT NULL,                -- hex
  sth TEXT NOT NULL,                 -- the signed tree head as JSON
  seen BIGINT NOT NULL,
  PRIMARY KEY (log_node, seen_via, tree_size)
);

CREATE TABLE federation_alerts (
  id TEXT PRIMARY KEY,
  log_node TEXT NOT NULL,
  kind TEXT NOT NULL,                -- inconsistent_history | bad_head
  detail TEXT NOT NULL,
  evidence TEXT NOT NULL,            -- JSON: the two heads
  created BIGINT NOT NULL
);
