-- Due jobs are leased in (run_at, id) order: with id in the index, the
-- lease's ORDER BY ... LIMIT reads the first rows of one index range instead
-- of sorting every due row (src/jobs/jobs.cc, SelectDueSqlite).
DROP INDEX jobs_state_run_at;
CREATE INDEX jobs_state_run_at ON jobs(state, run_at, id);
