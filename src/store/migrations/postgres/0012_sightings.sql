-- Sightings and correlation of STIX intelligence (src/intel/sighting.h,
-- src/intel/correlation.h). Both tables are projections of intel_objects
-- maintained by the importer; visibility always comes from the joined
-- intel_objects row (intel/access.h), never from these tables.

-- The newest version of each imported `sighting` object: what the lists and
-- aggregates of the sightings of an indicator read. obj_seq is the
-- intel_objects row of that version (owner, community, TLP).
CREATE TABLE intel_sightings (
  stix_id TEXT PRIMARY KEY,               -- sighting--...
  obj_seq BIGINT NOT NULL,                -- intel_objects.seq of the newest version
  sighting_of_ref TEXT NOT NULL,          -- the indicator (or other SDO) sighted
  sighting_count BIGINT NOT NULL,         -- `count` (1 when absent)
  first_seen TEXT,                        -- intel::VersionKey form (sorts in time order)
  last_seen TEXT
);
CREATE INDEX intel_sightings_of ON intel_sightings (sighting_of_ref);

-- Correlation postings: one row per (observable value, object version that
-- names it). No pairwise rows: correlations are computed per object at
-- query time. kind: domain, ipv4, ipv6, url, email, md5, sha1, sha256 (and
-- hash:<algorithm> for other hashes). value: the normalised value (CIDR in
-- canonical network/length form). range_lo/range_hi: for containment, the
-- sortable form (domains: labels reversed, "com.example.www."; addresses:
-- the first and last address as fixed-width hex); NULL otherwise.
-- Postings of superseded versions stay and are filtered by the join on
-- intel_objects.is_latest.
CREATE TABLE intel_observables (
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  obj_seq BIGINT NOT NULL,
  range_lo TEXT COLLATE "C",             -- byte order, as SQLite compares
  range_hi TEXT COLLATE "C",
  PRIMARY KEY (kind, value, obj_seq)
);
CREATE INDEX intel_observables_range ON intel_observables (kind, range_lo) WHERE range_lo IS NOT NULL;
