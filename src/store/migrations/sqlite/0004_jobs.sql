-- Background work (src/jobs/jobs.h): one row per job, leased by a worker.
--
-- state: pending (waiting for run_at), leased (a worker holds it until
-- lease_until), done, failed (gave up after max_attempts). attempts counts
-- leases so far, including the current one; a leased job is identified by
-- (lease_owner, attempts), so a worker whose lease expired and was taken
-- over cannot complete it. dedupe_key, when set, makes enqueueing the same
-- logical job twice a no-op. Times are UTC milliseconds. payload is JSON
-- text, opaque to the queue.
CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  dedupe_key TEXT UNIQUE,
  run_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'failed')),
  lease_owner TEXT,
  lease_until BIGINT,
  last_error TEXT,
  created BIGINT NOT NULL,
  finished BIGINT
);
CREATE INDEX jobs_state_run_at ON jobs(state, run_at);
