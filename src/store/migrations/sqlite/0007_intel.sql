-- STIX 2.1 intelligence (src/intel): every stored version of every object.
-- One row per (stix_id, version); version is the object's `modified`
-- (`created` for marking definitions, '' for cyber observables) as a string
-- that sorts in time order (intel::VersionKey). is_latest marks the newest
-- version of each id. content is the object as RFC 8785 canonical JSON.
CREATE TABLE intel_objects (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of arrival, never reused
  stix_id TEXT NOT NULL,
  version TEXT NOT NULL,
  type TEXT NOT NULL,
  modified TEXT,                          -- as written in the object
  created_by_ref TEXT,
  revoked INTEGER NOT NULL DEFAULT 0,
  is_latest INTEGER NOT NULL DEFAULT 1,
  tlp TEXT,                               -- clear, green, amber, amber+strict, red; NULL if unmarked
  marking_refs TEXT,                      -- JSON array: object_marking_refs
  owner_org TEXT,                         -- organisation that imported it
  community_id TEXT,                      -- community it was shared in
  added_at BIGINT NOT NULL,               -- ms since the epoch
  content TEXT NOT NULL,
  UNIQUE (stix_id, version)
);
CREATE INDEX intel_objects_latest ON intel_objects (type, is_latest, seq);
CREATE INDEX intel_objects_community ON intel_objects (community_id, seq);
