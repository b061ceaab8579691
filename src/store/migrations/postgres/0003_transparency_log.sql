-- The Merkle log over the journal: one leaf per envelope in journal order
-- (leaf hash in hex), and the signed tree heads the node issued.
CREATE TABLE log_leaves (
  idx BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL UNIQUE,
  hash TEXT NOT NULL
);
CREATE TABLE log_sths (
  tree_size BIGINT PRIMARY KEY,
  root TEXT NOT NULL,
  timestamp BIGINT NOT NULL,
  sig TEXT NOT NULL
);
