-- The verifiable record (docs/transparency.md): the Merkle tree (RFC 9162)
-- over the journal. Leaf i is the journal row with seq i + 1.
--
-- log_nodes: the hash (hex SHA-256) of every perfect subtree: the 2^level
-- leaves starting at leaf idx * 2^level; level 0 holds the leaf hashes.
-- Rows are written once, in journal order (under an advisory lock), and
-- never updated.
CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (level, idx)
);

-- Signed tree heads issued by this node: the tree of the first tree_size
-- leaves, signed (Ed25519, base64url) by the node key over the RFC 8785 form
-- of {tree_size, root_hash, timestamp = issued, node_id}.
CREATE TABLE log_tree_heads (
  tree_size BIGINT NOT NULL,
  issued BIGINT NOT NULL,
  root_hash TEXT NOT NULL,
  node_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (tree_size, issued)
);
