-- Communities of trust (src/intel/community.h, docs/intel.md). These tables
-- are projections of the signed `community.*` envelopes of the journal.
--
-- communities: the charter. allowed_kinds is a JSON array of organisation
-- kinds; max_tlp the highest TLP objects shared in it may carry (clear,
-- green, amber, amber+strict, red); vouches_required the number of distinct
-- member organisations that must vouch to admit (or vote to remove) one.
CREATE TABLE communities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  purpose TEXT NOT NULL,
  allowed_kinds TEXT NOT NULL,
  max_tlp TEXT NOT NULL,
  default_pap TEXT NOT NULL,
  vouches_required INTEGER NOT NULL,
  created_by_org TEXT NOT NULL,
  created BIGINT NOT NULL,
  envelope_id TEXT NOT NULL
);

-- community_members: one row per organisation ever invited. status:
-- invited (waiting for vouches), active, left, removed. Only `active`
-- members read what is shared in the community.
CREATE TABLE community_members (
  community_id TEXT NOT NULL REFERENCES communities(id),
  org_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('invited', 'active', 'left', 'removed')),
  invited_by TEXT,
  since BIGINT NOT NULL,          -- ms: time of the last status change
  envelope_id TEXT NOT NULL,      -- envelope of the last status change
  PRIMARY KEY (community_id, org_id)
);
CREATE INDEX community_members_org ON community_members (org_id, status);

-- community_votes: pending vouches (kind 'admit') and removal votes (kind
-- 'remove') by member organisations; cleared when the decision is taken or
-- the candidate leaves. The journal keeps every one of them.
CREATE TABLE community_votes (
  community_id TEXT NOT NULL REFERENCES communities(id),
  org_id TEXT NOT NULL,           -- the candidate (to admit or to remove)
  kind TEXT NOT NULL CHECK (kind IN ('admit', 'remove')),
  voter_org TEXT NOT NULL,
  created BIGINT NOT NULL,
  envelope_id TEXT NOT NULL,
  PRIMARY KEY (community_id, org_id, kind, voter_org)
);

-- Reads of intelligence filter on the owner organisation (intel/access.h).
CREATE INDEX intel_objects_owner ON intel_objects (owner_org, seq);
