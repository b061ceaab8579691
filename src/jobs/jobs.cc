#include "jobs/jobs.h"

#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "core/ids.h"

namespace entente::jobs {
namespace {

using Json = nlohmann::json;

// Columns read into a Job, in this order.
constexpr const char* kColumns =
    "id, kind, payload, dedupe_key, state, attempts, max_attempts, run_at, lease_owner, "
    "lease_until, last_error, created, finished";
// The same qualified by the table (where another relation has an id).
constexpr const char* kJobsColumns =
    "jobs.id, jobs.kind, jobs.payload, jobs.dedupe_key, jobs.state, jobs.attempts, "
    "jobs.max_attempts, jobs.run_at, jobs.lease_owner, jobs.lease_until, jobs.last_error, "
    "jobs.created, jobs.finished";

bool IsKindChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '.' || c == '_' || c == '-');
}

Status CheckKind(std::string_view kind, const std::string& field) {
  if (kind.empty()) return Invalid("job kind is empty", field);
  if (kind.size() > kMaxKindBytes) {
    return Invalid(fmt::format("job kind is longer than {} bytes", kMaxKindBytes), field);
  }
  for (size_t i = 0; i < kind.size(); ++i) {
    if (!IsKindChar(kind[i], i == 0)) {
      return Invalid(
          "job kind must be lower-case letters, digits, '.', '_' and '-', starting with a letter "
          "or digit",
          field);
    }
  }
  return Ok();
}

// Length of the well-formed UTF-8 sequence (no overlongs, no surrogates) at
// the start of `s`, or 0.
size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xc0) == 0x80; };
  if (s.empty()) return 0;
  const unsigned char c = b(0);
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xe0 && b(1) < 0xa0) return 0;  // overlong
    if (c == 0xed && b(1) > 0x9f) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xf0 && b(1) < 0x90) return 0;  // overlong
    if (c == 0xf4 && b(1) > 0x8f) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// Text PostgreSQL accepts: well-formed UTF-8 without NUL.
bool IsStorableText(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s.substr(i));
    if (n == 0 || s[i] == '\0') return false;
    i += n;
  }
  return true;
}

// A handler's error made storable: invalid bytes and NUL become U+FFFD, cut
// to at most kMaxErrorBytes on a character boundary.
std::string StorableError(std::string_view error) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
  std::string out;
  out.reserve(std::min(error.size(), kMaxErrorBytes));
  for (size_t i = 0; i < error.size();) {
    size_t n = Utf8SequenceLength(error.substr(i));
    std::string_view piece = error.substr(i, n);
    if (n == 0 || error[i] == '\0') {
      n = 1;
      piece = kReplacement;
    }
    if (out.size() + piece.size() > kMaxErrorBytes) break;
    out.append(piece);
    i += n;
  }
  return out;
}

Status CheckOwner(std::string_view owner) {
  if (owner.empty()) return Invalid("lease owner is empty", "owner");
  if (owner.size() > kMaxOwnerBytes) {
    return Invalid(fmt::format("lease owner is longer than {} bytes", kMaxOwnerBytes), "owner");
  }
  if (!IsStorableText(owner)) {
    return Invalid("lease owner is not valid UTF-8 or holds a NUL byte", "owner");
  }
  return Ok();
}

Status CheckLimit(int limit) {
  if (limit < 1 || limit > kMaxBatch) {
    return Invalid(fmt::format("limit must be from 1 to {} (got {})", kMaxBatch, limit), "limit");
  }
  return Ok();
}

// PostgreSQL text (and so JSONB) cannot hold NUL; refused on both backends.
bool HoldsNul(const Json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().find('\0') != std::string::npos;
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key.find('\0') != std::string::npos || HoldsNul(value)) return true;
    }
    return false;
  }
  if (j.is_array()) {
    return std::any_of(j.begin(), j.end(), [](const Json& v) { return HoldsNul(v); });
  }
  return false;
}

Result<std::string> SerializePayload(const Json& payload) {
  if (payload.is_discarded()) return Invalid("job payload is not a JSON value", "payload");
  if (HoldsNul(payload)) return Invalid("job payload holds a NUL character", "payload");
  std::string text;
  try {
    text = payload.dump();
  } catch (const std::exception&) {
    // nlohmann refuses strings that are not UTF-8 (type_error 316).
    return Invalid("job payload holds a string that is not valid UTF-8", "payload");
  }
  if (text.size() > kMaxPayloadBytes) {
    return Invalid(fmt::format("job payload is {} bytes serialized; at most {}", text.size(),
                               kMaxPayloadBytes),
                   "payload");
  }
  return text;
}

std::optional<Millis> OptInt(const store::Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Int(i);
}

// A row of kColumns; `payload_ok` reports whether the payload parsed.
Result<Job> FromRow(const store::Row& r, bool* payload_ok = nullptr) {
  Job j;
  j.id = r.Text(0);
  j.kind = r.Text(1);
  j.payload = Json::parse(r.Text(2), nullptr, /*allow_exceptions=*/false);
  const bool ok = !j.payload.is_discarded();
  if (!ok) j.payload = nullptr;
  if (payload_ok != nullptr) *payload_ok = ok;
  j.dedupe_key = r.OptText(3);
  const std::string state = r.Text(4);
  auto parsed = ParseJobState(state);
  if (!parsed) {
    return Fail(ErrorCode::kDataLoss, fmt::format("job {} has an unknown state", j.id));
  }
  j.state = *parsed;
  j.attempts = static_cast<int>(r.Int(5));
  j.max_attempts = static_cast<int>(r.Int(6));
  j.run_at = r.Int(7);
  j.lease_owner = r.Text(8);
  j.lease_until = OptInt(r, 9);
  j.last_error = r.OptText(10);
  j.created = r.Int(11);
  j.finished = OptInt(r, 12);
  return j;
}

// Lease on SQLite. The transaction holds the only write lock on the file, so
// plain SELECTs followed by UPDATEs by id see and change the same rows. Each
// statement is one that SQLite runs from the jobs_state_run_at index without
// an ephemeral table: `kind IN (...)`, an ORDER BY over two index ranges, an
// UPDATE ... RETURNING or an UPDATE whose WHERE clause scans the index it
// changes would each build one, and together they cost more than the work
// itself (a fifth of a message's end-to-end time). Fills `due` with the rows
// as they were before the lease (the caller applies the lease to them).
Status SelectDueSqlite(store::Tx& tx, const std::vector<std::string>& kinds, Millis now, int limit,
                       std::vector<store::Row>& due) {
  std::string kind_match = "(kind = ?";
  for (size_t i = 1; i < kinds.size(); ++i) kind_match += " OR kind = ?";
  kind_match += ")";
  store::Params kind_params(kinds.begin(), kinds.end());

  // A job whose last attempt never finished (the worker died or overran on
  // it, perhaps because of the job) fails rather than being leased forever.
  store::Params expired{now};
  expired.insert(expired.end(), kind_params.begin(), kind_params.end());
  store::Rows lapsed = ENTENTE_TRY(tx.Query(
      fmt::format("SELECT id, attempts >= max_attempts FROM jobs WHERE state = 'leased' AND "
                  "lease_until <= ? AND {}",
                  kind_match),
      expired));
  for (const store::Row& r : lapsed) {
    if (r.Int(1) == 0) continue;
    ENTENTE_TRY(tx.Exec(
        "UPDATE jobs SET state = 'failed', lease_until = NULL, finished = ?, last_error = "
        "'the lease of the last attempt expired (the worker stopped or overran)' WHERE id = ?",
        {now, r.Text(0)}));
  }

  // Due: pending and run_at reached, or leased and the lease ran out with
  // attempts left; the earliest `limit` of both, by (run_at, id).
  store::Params pending{now};
  pending.insert(pending.end(), kind_params.begin(), kind_params.end());
  pending.emplace_back(std::int64_t{limit});
  due = ENTENTE_TRY(tx.Query(fmt::format("SELECT {} FROM jobs WHERE state = 'pending' AND "
                                         "run_at <= ? AND {} ORDER BY run_at, id LIMIT ?",
                                         kColumns, kind_match),
                             pending));
  for (const store::Row& r : lapsed) {
    if (r.Int(1) != 0) continue;
    store::Rows one = ENTENTE_TRY(
        tx.Query(fmt::format("SELECT {} FROM jobs WHERE id = ?", kColumns), {r.Text(0)}));
    for (store::Row& row : one) due.push_back(std::move(row));
  }
  std::sort(due.begin(), due.end(), [](const store::Row& a, const store::Row& b) {
    return a.Int(7) != b.Int(7) ? a.Int(7) < b.Int(7) : a.Text(0) < b.Text(0);
  });
  if (static_cast<int>(due.size()) > limit) due.resize(static_cast<size_t>(limit));
  return Ok();
}

// The identity of a lease, checked by Complete and Retry.
Status CheckLeaseInput(const Job& job) {
  if (!IsUuid(job.id)) return Invalid("job id is not a UUID", "id");
  if (job.lease_owner.empty() || job.attempts < 1) {
    return Invalid("job carries no lease; pass a Job returned by Lease", "lease_owner");
  }
  return Ok();
}

// After an UPDATE guarded by the lease changed nothing: why.
Status LeaseLost(store::Tx& tx, const Job& job) {
  store::Rows rows =
      ENTENTE_TRY(tx.Query("SELECT state, lease_owner, attempts FROM jobs WHERE id = ?", {job.id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, fmt::format("job {} not found", job.id));
  const store::Row& r = rows[0];
  std::string now;
  if (r.Text(0) == "leased") {
    now = fmt::format("leased by {} (attempt {})", r.Text(1), r.Int(2));
  } else {
    now = r.Text(0);
  }
  return Fail(ErrorCode::kFailedPrecondition,
              fmt::format("lease lost: job {} (leased by {}, attempt {}) is now {}", job.id,
                          job.lease_owner, job.attempts, now));
}

}  // namespace

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kLeased:
      return "leased";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<JobState> ParseJobState(std::string_view name) {
  for (JobState s : {JobState::kPending, JobState::kLeased, JobState::kDone, JobState::kFailed}) {
    if (JobStateName(s) == name) return s;
  }
  return std::nullopt;
}

Millis RetryBackoff(int attempts) {
  Millis delay = kRetryBase;
  for (int i = 1; i < attempts && delay < kRetryCap; ++i) delay *= 2;
  return std::min(delay, kRetryCap);
}

Result<bool> JobQueue::Enqueue(store::Tx& tx, const NewJob& job) {
  ENTENTE_CHECK(CheckKind(job.kind, "kind"));
  if (job.dedupe_key) {
    if (job.dedupe_key->empty()) return Invalid("dedupe_key is empty", "dedupe_key");
    if (job.dedupe_key->size() > kMaxDedupeKeyBytes) {
      return Invalid(fmt::format("dedupe_key is longer than {} bytes", kMaxDedupeKeyBytes),
                     "dedupe_key");
    }
    if (!IsStorableText(*job.dedupe_key)) {
      return Invalid("dedupe_key is not valid UTF-8 or holds a NUL byte", "dedupe_key");
    }
  }
  if (job.max_attempts < 1 || job.max_attempts > kMaxAttemptsLimit) {
    return Invalid(fmt::format("max_attempts must be from 1 to {}", kMaxAttemptsLimit),
                   "max_attempts");
  }
  if (job.run_at && *job.run_at < 0) return Invalid("run_at is negative", "run_at");
  const std::string payload = ENTENTE_TRY(SerializePayload(job.payload));

  const Millis now = clock_.NowMillis();
  store::Value dedupe = store::Null{};
  if (job.dedupe_key) dedupe = *job.dedupe_key;
  // ON CONFLICT (not a caught unique violation): a failed statement would
  // abort the caller's whole transaction on PostgreSQL.
  const std::int64_t added = ENTENTE_TRY(tx.Exec(
      "INSERT INTO jobs (id, kind, payload, dedupe_key, run_at, attempts, max_attempts, state, "
      "created) VALUES (?, ?, ?, ?, ?, 0, ?, 'pending', ?) ON CONFLICT (dedupe_key) DO NOTHING",
      {NewUuidV7(clock_), job.kind, payload, dedupe, job.run_at.value_or(now),
       std::int64_t{job.max_attempts}, now}));
  return added > 0;
}

Result<bool> JobQueue::Enqueue(const NewJob& job) {
  bool added = false;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    added = ENTENTE_TRY(Enqueue(tx, job));
    return Ok();
  }));
  return added;
}

Result<std::vector<Job>> JobQueue::Lease(const std::string& owner,
                                         const std::vector<std::string>& kinds, int limit,
                                         Millis lease_for) {
  ENTENTE_CHECK(CheckOwner(owner));
  ENTENTE_CHECK(CheckLimit(limit));
  if (kinds.empty()) return Invalid("name the job kinds this worker runs", "kinds");
  if (kinds.size() > kMaxKindsPerLease) {
    return Invalid(fmt::format("at most {} kinds per lease", kMaxKindsPerLease), "kinds");
  }
  for (size_t i = 0; i < kinds.size(); ++i) {
    ENTENTE_CHECK(CheckKind(kinds[i], fmt::format("kinds/{}", i)));
  }
  if (lease_for < 1 || lease_for > kMaxLease) {
    return Invalid(fmt::format("lease_for must be from 1 to {} ms", kMaxLease), "lease_for");
  }

  std::string in = "?";
  for (size_t i = 1; i < kinds.size(); ++i) in += ", ?";
  const bool postgres = db_.backend() == store::Backend::kPostgres;
  // Due: pending and run_at reached, or leased and the lease ran out with
  // attempts left.
  const std::string due = fmt::format(
      "SELECT id FROM jobs WHERE kind IN ({}) AND ((state = 'pending' AND run_at <= ?) OR "
      "(state = 'leased' AND lease_until <= ? AND attempts < max_attempts)) "
      "ORDER BY run_at, id LIMIT ?",
      in);
  // A job whose last attempt never finished (the worker died or overran on
  // it, perhaps because of the job) fails rather than being leased forever.
  const std::string give_up = fmt::format(
      "UPDATE jobs SET state = 'failed', lease_until = NULL, finished = ?, last_error = "
      "'the lease of the last attempt expired (the worker stopped or overran)' "
      "WHERE kind IN ({}) AND state = 'leased' AND lease_until <= ? AND attempts >= max_attempts",
      in);
  const std::string set =
      "SET state = 'leased', lease_owner = ?, lease_until = ?, attempts = attempts + 1";
  // PostgreSQL: rows another transaction is leasing are skipped, not waited
  // for; a row committed as leased meanwhile is re-checked against the WHERE
  // clause by FOR UPDATE and dropped.
  const std::string sql =
      postgres ? fmt::format(
                     "WITH due AS MATERIALIZED ({} FOR UPDATE SKIP LOCKED) UPDATE jobs {} FROM due "
                     "WHERE jobs.id = due.id RETURNING {}",
                     due, set, kJobsColumns)
               : std::string();  // SQLite: SelectDueSqlite

  std::vector<Job> leased;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    leased.clear();  // the store may rerun the callback after a serialization failure
    const Millis now = clock_.NowMillis();
    // Placeholders in text order: the CTE comes first on PostgreSQL.
    store::Params set_params{owner, now + lease_for};
    store::Params due_params(kinds.begin(), kinds.end());
    due_params.emplace_back(now);
    due_params.emplace_back(now);
    due_params.emplace_back(std::int64_t{limit});
    store::Params params = due_params;
    params.insert(params.end(), set_params.begin(), set_params.end());

    store::Rows rows;
    if (postgres) {
      store::Params give_up_params{now};
      give_up_params.insert(give_up_params.end(), kinds.begin(), kinds.end());
      give_up_params.emplace_back(now);
      ENTENTE_TRY(tx.Exec(give_up, give_up_params));
      rows = ENTENTE_TRY(tx.Query(sql, params));
    } else {
      ENTENTE_CHECK(SelectDueSqlite(tx, kinds, now, limit, rows));
    }
    for (const store::Row& r : rows) {
      bool payload_ok = true;
      Job job = ENTENTE_TRY(FromRow(r, &payload_ok));
      if (!payload_ok) {
        // A payload no handler could read would be leased again forever.
        ENTENTE_TRY(
            tx.Exec("UPDATE jobs SET state = 'failed', lease_until = NULL, finished = ?, "
                    "last_error = 'stored payload is not valid JSON' WHERE id = ?",
                    {now, job.id}));
        continue;
      }
      if (!postgres) {
        ENTENTE_TRY(
            tx.Exec("UPDATE jobs SET state = 'leased', lease_owner = ?, lease_until = ?, "
                    "attempts = attempts + 1 WHERE id = ?",
                    {owner, now + lease_for, job.id}));
        job.state = JobState::kLeased;
        job.lease_owner = owner;
        job.lease_until = now + lease_for;
        job.attempts += 1;
      }
      leased.push_back(std::move(job));
    }
    return Ok();
  }));
  std::sort(leased.begin(), leased.end(), [](const Job& a, const Job& b) {
    return a.run_at != b.run_at ? a.run_at < b.run_at : a.id < b.id;
  });
  return leased;
}

Status JobQueue::Complete(const Job& job) {
  ENTENTE_CHECK(CheckLeaseInput(job));
  return db_.Transact([&](store::Tx& tx) -> Status {
    const std::int64_t changed = ENTENTE_TRY(
        tx.Exec("UPDATE jobs SET state = 'done', lease_until = NULL, finished = ? "
                "WHERE id = ? AND state = 'leased' AND lease_owner = ? AND attempts = ?",
                {clock_.NowMillis(), job.id, job.lease_owner, std::int64_t{job.attempts}}));
    if (changed == 0) return LeaseLost(tx, job);
    return Ok();
  });
}

Status JobQueue::Retry(const Job& job, const std::string& error, Millis backoff) {
  ENTENTE_CHECK(CheckLeaseInput(job));
  if (backoff < 0) return Invalid("backoff is negative", "backoff");
  if (backoff > 365LL * 24 * 3600 * 1000) return Invalid("backoff is over a year", "backoff");
  const std::string message = StorableError(error);
  return db_.Transact([&](store::Tx& tx) -> Status {
    const Millis now = clock_.NowMillis();
    const std::int64_t changed = ENTENTE_TRY(tx.Exec(
        "UPDATE jobs SET "
        "state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END, "
        "run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE ? END, "
        "finished = CASE WHEN attempts >= max_attempts THEN ? ELSE NULL END, "
        "lease_until = NULL, last_error = ? "
        "WHERE id = ? AND state = 'leased' AND lease_owner = ? AND attempts = ?",
        {now + backoff, now, message, job.id, job.lease_owner, std::int64_t{job.attempts}}));
    if (changed == 0) return LeaseLost(tx, job);
    return Ok();
  });
}

Result<int> JobQueue::RunDue(const std::string& owner, const Handlers& handlers, int limit,
                             Millis lease_for) {
  if (handlers.empty()) return Invalid("no handlers given", "handlers");
  std::vector<std::string> kinds;
  for (const auto& [kind, fn] : handlers) {
    if (!fn) return Invalid(fmt::format("the handler for {} is empty", kind), "handlers");
    kinds.push_back(kind);
  }
  const std::vector<Job> batch = ENTENTE_TRY(Lease(owner, kinds, limit, lease_for));

  int ran = 0;
  std::optional<Error> first_failure;
  for (const Job& job : batch) {
    // Another worker may hold it by now; running it here could run it twice.
    if (job.lease_until && clock_.NowMillis() >= *job.lease_until) continue;
    const auto handler = handlers.find(job.kind);
    if (handler == handlers.end()) continue;  // Lease asked for these kinds only
    Status outcome;
    try {
      outcome = handler->second(job);
    } catch (const std::exception& e) {
      outcome = Fail(ErrorCode::kInternal, fmt::format("handler threw: {}", e.what()));
    } catch (...) {
      outcome = Fail(ErrorCode::kInternal, "handler threw a non-standard exception");
    }
    ++ran;
    Status finished = outcome ? Complete(job)
                              : Retry(job, outcome.error().ToString(), RetryBackoff(job.attempts));
    if (!finished && finished.error().code != ErrorCode::kFailedPrecondition && !first_failure) {
      first_failure = finished.error();
    }
  }
  if (first_failure) return std::unexpected(*first_failure);
  return ran;
}

Result<std::vector<Job>> JobQueue::List(std::optional<JobState> state, int limit) {
  ENTENTE_CHECK(CheckLimit(limit));
  store::Rows rows;
  if (state) {
    rows = ENTENTE_TRY(db_.Query(
        fmt::format("SELECT {} FROM jobs WHERE state = ? ORDER BY created DESC, id DESC LIMIT ?",
                    kColumns),
        {std::string(JobStateName(*state)), std::int64_t{limit}}));
  } else {
    rows = ENTENTE_TRY(db_.Query(
        fmt::format("SELECT {} FROM jobs ORDER BY created DESC, id DESC LIMIT ?", kColumns),
        {std::int64_t{limit}}));
  }
  std::vector<Job> out;
  out.reserve(rows.size());
  for (const store::Row& r : rows) out.push_back(ENTENTE_TRY(FromRow(r)));
  return out;
}

Result<Job> JobQueue::Get(const std::string& id) {
  if (!IsUuid(id)) return Invalid("job id is not a UUID", "id");
  store::Rows rows =
      ENTENTE_TRY(db_.Query(fmt::format("SELECT {} FROM jobs WHERE id = ?", kColumns), {id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, fmt::format("job {} not found", id));
  return FromRow(rows[0]);
}

Result<JobCounts> JobQueue::Counts() {
  store::Rows rows = ENTENTE_TRY(db_.Query("SELECT state, COUNT(*) FROM jobs GROUP BY state"));
  JobCounts c;
  for (const store::Row& r : rows) {
    auto state = ParseJobState(r.Text(0));
    if (!state) continue;
    switch (*state) {
      case JobState::kPending:
        c.pending = r.Int(1);
        break;
      case JobState::kLeased:
        c.leased = r.Int(1);
        break;
      case JobState::kDone:
        c.done = r.Int(1);
        break;
      case JobState::kFailed:
        c.failed = r.Int(1);
        break;
    }
  }
  return c;
}

Result<std::int64_t> JobQueue::PurgeDone(Millis before, int limit) {
  ENTENTE_CHECK(CheckLimit(limit));
  std::int64_t removed = 0;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    removed = ENTENTE_TRY(
        tx.Exec("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'done' AND "
                "finished < ? ORDER BY finished LIMIT ?)",
                {before, std::int64_t{limit}}));
    return Ok();
  }));
  return removed;
}

}  // namespace entente::jobs
