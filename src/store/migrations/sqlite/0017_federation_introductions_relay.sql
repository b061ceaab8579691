-- Federation (src/federation): introductions between nodes and relay of
-- envelopes through hubs.
--
-- federation_introductions: a node that pinned this node's key (entente peer
-- add) introduces itself with a request signed by its own key. The identity
-- is recorded as pending until this node's operator runs entente peer add
-- with that node's fingerprint (state accepted); nothing is trusted before.
CREATE TABLE federation_introductions (
  node_id TEXT PRIMARY KEY,          -- fingerprint of public_key
  public_key TEXT NOT NULL,          -- base64url Ed25519
  name TEXT NOT NULL,
  base_url TEXT NOT NULL,
  state TEXT NOT NULL,               -- pending | accepted
  times BIGINT NOT NULL DEFAULT 1,   -- introductions received
  received BIGINT NOT NULL,          -- first, unix ms
  updated BIGINT NOT NULL
);

-- federation_relay: envelopes this node may not hold (policy.h) that it
-- carries for others (sealed communications and their events), never applied
-- nor read; served to the peers that may hold them, from a cursor of their
-- own (peers.relay_cursor).
CREATE TABLE federation_relay (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,           -- the envelope id
  envelope TEXT NOT NULL,            -- canonical bytes
  from_peer TEXT NOT NULL,
  received BIGINT NOT NULL
);

ALTER TABLE peers ADD COLUMN relay_cursor BIGINT NOT NULL DEFAULT 0;
