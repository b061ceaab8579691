// The node's background work (deliveries, reminders, sync) as leased rows of
// the `jobs` table (migration 0004).
//
// A job is enqueued inside the caller's transaction, so it exists exactly when
// the change that caused it was committed. Workers lease due jobs for a
// while, run them, and then complete them or schedule a retry. Leasing is
// atomic across processes: on PostgreSQL with SELECT ... FOR UPDATE SKIP
// LOCKED (workers never wait on each other's rows), on SQLite inside the
// store's BEGIN IMMEDIATE write transaction (writers are serialized, also
// across processes on one file). So several `entente serve` processes on one
// database never hold a lease on the same job at the same time.
//
// Delivery is at least once: a worker that dies or overruns its lease loses
// the job to the next worker once the lease expires, and may have done part
// of the work; handlers must be idempotent. A lease is identified by
// (lease_owner, attempts), since every lease increments attempts: the
// previous holder of a re-leased job gets kFailedPrecondition "lease lost"
// from Complete/Retry and changes nothing. Lease times come from the Clock of
// the process that leases, so the clocks of processes sharing a database must
// agree to well within the lease duration.
//
// Payloads are opaque JSON to this module; it never logs and never puts
// payloads or dedupe keys into error messages. last_error holds what a
// handler returned (invalid UTF-8 replaced, cut to kMaxErrorBytes): handlers
// must not put secrets in their errors.
//
// Thread-safety: a JobQueue holds no state of its own and is safe to use from
// many threads and processes at once. The Database and Clock must outlive it.
//
// Failures: kInvalidArgument for bad input (field named), kNotFound for an
// unknown job, kFailedPrecondition when the lease is no longer the caller's,
// and the store's errors (kUnavailable, kConflict, kInternal) otherwise.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace entente::jobs {

enum class JobState { kPending, kLeased, kDone, kFailed };

// "pending", "leased", "done", "failed" (the values stored in jobs.state).
std::string_view JobStateName(JobState state);
std::optional<JobState> ParseJobState(std::string_view name);

// Limits on input.
inline constexpr size_t kMaxKindBytes = 64;  // kind: [a-z0-9][a-z0-9._-]*
inline constexpr size_t kMaxDedupeKeyBytes = 256;
inline constexpr size_t kMaxOwnerBytes = 128;
inline constexpr size_t kMaxPayloadBytes = 64 * 1024;  // serialized JSON
inline constexpr size_t kMaxErrorBytes = 1024;         // last_error is cut here
inline constexpr int kMaxAttemptsLimit = 100;
inline constexpr int kMaxBatch = 1000;  // jobs per Lease / RunDue, rows per List
inline constexpr size_t kMaxKindsPerLease = 64;
inline constexpr Millis kMaxLease = 24 * 3600 * 1000;

inline constexpr int kDefaultMaxAttempts = 10;
inline constexpr Millis kDefaultLease = 5 * 60 * 1000;
// RunDue's retry schedule: kRetryBase * 2^(attempts - 1), at most kRetryCap.
inline constexpr Millis kRetryBase = 30 * 1000;
inline constexpr Millis kRetryCap = 3600 * 1000;

struct NewJob {
  std::string kind;  // what runs it, e.g. "delivery.send"
  nlohmann::json payload = nlohmann::json::object();
  // When set, enqueueing a job with a key already in the table (in any
  // state, until PurgeDone removes a done one) does nothing.
  std::optional<std::string> dedupe_key;
  std::optional<Millis> run_at;  // not before; default now
  int max_attempts = kDefaultMaxAttempts;
};

struct Job {
  std::string id;  // UUIDv7
  std::string kind;
  nlohmann::json payload;  // null when the stored text does not parse (List only)
  std::optional<std::string> dedupe_key;
  JobState state = JobState::kPending;
  int attempts = 0;  // leases so far, including the current one
  int max_attempts = 0;
  Millis run_at = 0;
  std::string lease_owner;  // "" when never leased; kept after done/failed
  std::optional<Millis> lease_until;
  std::optional<std::string> last_error;
  Millis created = 0;
  std::optional<Millis> finished;
};

struct JobCounts {
  std::int64_t pending = 0;
  std::int64_t leased = 0;  // including leases that have expired
  std::int64_t done = 0;
  std::int64_t failed = 0;
};

// Runs one job; an error (or an exception) schedules a retry.
using Handler = std::function<Status(const Job&)>;
using Handlers = std::map<std::string, Handler, std::less<>>;  // by kind

// Delay before the next attempt after `attempts` failed ones (>= 1):
// 30 s, 1 min, 2 min, ... capped at 1 h.
Millis RetryBackoff(int attempts);

class JobQueue {
 public:
  JobQueue(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Adds a job inside the caller's transaction. False when a job with the
  // same dedupe_key exists (nothing is written and, on PostgreSQL too, the
  // transaction stays usable). Invalid input fails before any statement runs.
  Result<bool> Enqueue(store::Tx& tx, const NewJob& job);
  // The same in a transaction of its own.
  Result<bool> Enqueue(const NewJob& job);

  // Claims up to `limit` due jobs of `kinds` for `lease_for` ms: pending
  // jobs with run_at <= now, and leased jobs whose lease has expired, oldest
  // run_at first. Each claimed job has attempts incremented and state
  // kLeased. Empty when nothing is due. A job of `kinds` whose lease expired
  // on its last attempt (the worker died or overran, perhaps because of the
  // job) is marked failed instead of being leased again.
  Result<std::vector<Job>> Lease(const std::string& owner, const std::vector<std::string>& kinds,
                                 int limit, Millis lease_for = kDefaultLease);

  // Marks a leased job done. kFailedPrecondition ("lease lost") when the job
  // is no longer leased under this lease (taken over after expiry, already
  // completed, retried or failed by Lease); an expired lease that nobody
  // has taken over yet still counts.
  Status Complete(const Job& job);
  // Releases a leased job for another attempt at now + backoff, recording
  // `error`; when attempts >= max_attempts the job becomes failed instead.
  // Same lease rule as Complete.
  Status Retry(const Job& job, const std::string& error, Millis backoff);

  // Leases up to `limit` due jobs of the kinds in `handlers`, runs each
  // handler in turn, completes the jobs whose handler succeeded and retries
  // the others after RetryBackoff(attempts). Skips a job whose lease has run
  // out before its turn, and a lost lease when finishing. Returns how many
  // handlers ran; a store failure on the way is returned after the batch.
  Result<int> RunDue(const std::string& owner, const Handlers& handlers, int limit,
                     Millis lease_for = kDefaultLease);

  // Up to `limit` jobs, newest first, all or in one state (for operators).
  Result<std::vector<Job>> List(std::optional<JobState> state, int limit);
  // One job by id; kNotFound when there is none.
  Result<Job> Get(const std::string& id);
  // Jobs per state (for metrics).
  Result<JobCounts> Counts();
  // Deletes done jobs finished before `before`, at most `limit` of them;
  // returns how many. Their dedupe keys become free again. Failed jobs stay
  // until an operator removes them.
  Result<std::int64_t> PurgeDone(Millis before, int limit);

 private:
  store::Database& db_;
  const Clock& clock_;
};

}  // namespace entente::jobs
