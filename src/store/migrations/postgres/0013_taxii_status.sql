-- TAXII 2.1 status resources (src/intel/taxii_store.h): the answer to each
-- Add Objects request (section 4.3), kept 7 days so that GET
-- {api-root}/status/{id}/ returns it. Readable by the organisation that
-- posted (org_id) only. body is the status resource as JSON text.
CREATE TABLE taxii_status (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  collection_id TEXT NOT NULL,
  created BIGINT NOT NULL,       -- ms since the epoch
  body TEXT NOT NULL
);
CREATE INDEX taxii_status_created ON taxii_status (created);
