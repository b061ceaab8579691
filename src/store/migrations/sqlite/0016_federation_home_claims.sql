-- Federation (src/federation): endorsements of organisations' home nodes.
--
-- federation_home_claims: for an organisation created on another node, the
-- signature by that node's key (HomeEndorsementMessage in
-- src/federation/policy.h) received with the creation and verified, kept so
-- that this node can relay the creation with its endorsement.
CREATE TABLE federation_home_claims (
  envelope_id TEXT PRIMARY KEY,      -- the creation envelope
  public_key TEXT NOT NULL,          -- base64url Ed25519 key of the home node
  signature TEXT NOT NULL            -- base64url
);

-- An envelope waiting for its dependencies keeps its endorsement (JSON
-- {key, sig}, '' when none).
ALTER TABLE federation_pending ADD COLUMN home TEXT NOT NULL DEFAULT '';
