// The leased job queue on both backends: enqueue/lease/complete, dedupe keys,
// due times and lease expiry with a manual clock, retries and failure after
// max attempts, RunDue with failing handlers, bad input, and two worker
// processes (tests/jobs/jobs_worker.cc) draining one database without ever
// running a job twice.
#include "jobs/jobs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.h"
#include "store/test_databases.h"

extern char** environ;

namespace entente::jobs {
namespace {

using Json = nlohmann::json;
using store::testing::BackendTest;

constexpr Millis kSecond = 1000;

class JobsTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (HasFatalFailure()) return;
    auto migrated = store::Migrate(db(), store::BuiltinMigrations(backend()));
    ASSERT_TRUE(migrated) << migrated.error().ToString();
    queue_ = std::make_unique<JobQueue>(db(), clock_);
  }
  void TearDown() override {
    queue_.reset();
    BackendTest::TearDown();
  }

  JobQueue& queue() { return *queue_; }

  // Enqueues a job of `kind` and returns its id (the newest job).
  std::string Add(const std::string& kind, Json payload = Json::object(),
                  std::optional<Millis> run_at = std::nullopt, int max_attempts = 5) {
    NewJob j;
    j.kind = kind;
    j.payload = std::move(payload);
    j.run_at = run_at;
    j.max_attempts = max_attempts;
    auto added = queue().Enqueue(j);
    EXPECT_TRUE(added && *added) << (added ? "deduped" : added.error().ToString());
    auto newest = queue().List(std::nullopt, 1);
    EXPECT_TRUE(newest && newest->size() == 1);
    return newest && !newest->empty() ? newest->front().id : std::string();
  }

  std::vector<Job> LeaseAll(const std::string& owner, const std::vector<std::string>& kinds,
                            Millis lease_for = 60 * kSecond, int limit = 100) {
    auto leased = queue().Lease(owner, kinds, limit, lease_for);
    EXPECT_TRUE(leased) << leased.error().ToString();
    return leased.value_or(std::vector<Job>{});
  }

  Job Get(const std::string& id) {
    auto job = queue().Get(id);
    EXPECT_TRUE(job) << job.error().ToString();
    return job.value_or(Job{});
  }

  ManualClock clock_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_P(JobsTest, EnqueueLeaseComplete) {
  const Json payload = Json::parse(R"({"to": "peer-1", "n": [1, 2.5, "x"], "ok": true})");
  const std::string id = Add("delivery.send", payload);
  ASSERT_TRUE(IsUuid(id));

  Job pending = Get(id);
  EXPECT_EQ(pending.state, JobState::kPending);
  EXPECT_EQ(pending.attempts, 0);
  EXPECT_EQ(pending.run_at, clock_.NowMillis());
  EXPECT_EQ(pending.created, clock_.NowMillis());
  EXPECT_EQ(pending.max_attempts, 5);
  EXPECT_EQ(pending.lease_owner, "");
  EXPECT_FALSE(pending.dedupe_key.has_value());

  auto leased = LeaseAll("worker-a", {"delivery.send"}, 30 * kSecond);
  ASSERT_EQ(leased.size(), 1u);
  const Job& job = leased[0];
  EXPECT_EQ(job.id, id);
  EXPECT_EQ(job.kind, "delivery.send");
  EXPECT_EQ(job.payload, payload);
  EXPECT_EQ(job.state, JobState::kLeased);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_EQ(job.lease_owner, "worker-a");
  EXPECT_EQ(job.lease_until, clock_.NowMillis() + 30 * kSecond);

  // Leased: nobody else gets it while the lease runs.
  EXPECT_TRUE(LeaseAll("worker-b", {"delivery.send"}).empty());
  auto counts = queue().Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->leased, 1);
  EXPECT_EQ(counts->pending, 0);

  clock_.Advance(1234);
  auto done = queue().Complete(job);
  ASSERT_TRUE(done) << done.error().ToString();
  Job after = Get(id);
  EXPECT_EQ(after.state, JobState::kDone);
  EXPECT_EQ(after.finished, clock_.NowMillis());
  EXPECT_FALSE(after.lease_until.has_value());
  EXPECT_EQ(after.lease_owner, "worker-a");

  // Done for good: not leased again, even long after.
  clock_.Advance(3600 * kSecond);
  EXPECT_TRUE(LeaseAll("worker-b", {"delivery.send"}).empty());
  counts = queue().Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->done, 1);
  EXPECT_EQ(counts->leased, 0);

  // Completing twice: the lease is gone.
  auto again = queue().Complete(job);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(JobsTest, LeaseTakesOnlyTheKindsAskedOldestFirstUpToTheLimit) {
  const Millis now = clock_.NowMillis();
  const std::string late = Add("a", Json::object(), now - 1 * kSecond);
  const std::string early = Add("a", Json::object(), now - 3 * kSecond);
  const std::string other = Add("b", Json::object(), now - 5 * kSecond);
  const std::string middle = Add("a", Json::object(), now - 2 * kSecond);

  auto first = LeaseAll("w", {"a"}, 60 * kSecond, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].id, early);
  EXPECT_EQ(first[1].id, middle);
  auto second = LeaseAll("w", {"a", "c"});
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].id, late);
  auto b = LeaseAll("w", {"b"});
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, other);
}

TEST_P(JobsTest, DedupeKeyMakesTheSecondEnqueueANoOpWithoutAbortingTheTransaction) {
  NewJob j;
  j.kind = "reminder.ack";
  j.payload = {{"incident", "i-1"}};
  j.dedupe_key = "reminder:i-1";
  std::vector<bool> results;
  auto tx = db().Transact([&](store::Tx& t) -> Status {
    results.push_back(ENTENTE_TRY(queue().Enqueue(t, j)));
    results.push_back(ENTENTE_TRY(queue().Enqueue(t, j)));
    // The transaction is still usable after the no-op (on PostgreSQL a
    // failed INSERT would have aborted it).
    NewJob other = j;
    other.dedupe_key = "reminder:i-2";
    results.push_back(ENTENTE_TRY(queue().Enqueue(t, other)));
    other.dedupe_key.reset();
    results.push_back(ENTENTE_TRY(queue().Enqueue(t, other)));
    results.push_back(ENTENTE_TRY(queue().Enqueue(t, other)));  // no key: never a duplicate
    return Ok();
  });
  ASSERT_TRUE(tx) << tx.error().ToString();
  EXPECT_EQ(results, (std::vector<bool>{true, false, true, true, true}));

  // In a later transaction too, whatever state the first job is in.
  auto again = queue().Enqueue(j);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto leased = LeaseAll("w", {"reminder.ack"});
  ASSERT_EQ(leased.size(), 4u);
  for (const Job& job : leased) ASSERT_TRUE(queue().Complete(job));
  again = queue().Enqueue(j);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto counts = queue().Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->done, 4);
  EXPECT_EQ(counts->pending, 0);
}

TEST_P(JobsTest, EnqueueCommitsAndRollsBackWithTheCallersTransaction) {
  NewJob j;
  j.kind = "sync.pull";
  auto tx = db().Transact([&](store::Tx& t) -> Status {
    EXPECT_TRUE(queue().Enqueue(t, j).value_or(false));
    return Fail(ErrorCode::kConflict, "the change that caused it failed");
  });
  ASSERT_FALSE(tx);
  EXPECT_EQ(queue().Counts().value().pending, 0);
  EXPECT_TRUE(LeaseAll("w", {"sync.pull"}).empty());
}

TEST_P(JobsTest, DueTimeIsRespected) {
  const Millis start = clock_.NowMillis();
  const std::string id = Add("reminder.ack", Json::object(), start + 10 * kSecond);
  EXPECT_TRUE(LeaseAll("w", {"reminder.ack"}).empty());
  clock_.Advance(10 * kSecond - 1);
  EXPECT_TRUE(LeaseAll("w", {"reminder.ack"}).empty());
  clock_.Advance(1);
  auto leased = LeaseAll("w", {"reminder.ack"});
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, id);
  EXPECT_EQ(leased[0].run_at, start + 10 * kSecond);
}

TEST_P(JobsTest, ExpiredLeaseIsTakenOverAndTheOldOwnerIsRefused) {
  const std::string id = Add("delivery.send");
  auto a = LeaseAll("worker-a", {"delivery.send"}, 10 * kSecond);
  ASSERT_EQ(a.size(), 1u);

  clock_.Advance(10 * kSecond - 1);
  EXPECT_TRUE(LeaseAll("worker-b", {"delivery.send"}).empty());
  clock_.Advance(1);
  auto b = LeaseAll("worker-b", {"delivery.send"}, 10 * kSecond);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, id);
  EXPECT_EQ(b[0].attempts, 2);
  EXPECT_EQ(b[0].lease_owner, "worker-b");

  auto late = queue().Complete(a[0]);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(late.error().message.find("lease lost"), std::string::npos) << late.error().message;
  auto late_retry = queue().Retry(a[0], "timeout", kSecond);
  ASSERT_FALSE(late_retry);
  EXPECT_EQ(late_retry.error().code, ErrorCode::kFailedPrecondition);
  // The refused calls changed nothing.
  Job now = Get(id);
  EXPECT_EQ(now.state, JobState::kLeased);
  EXPECT_EQ(now.lease_owner, "worker-b");
  EXPECT_EQ(now.attempts, 2);
  EXPECT_FALSE(now.last_error.has_value());

  ASSERT_TRUE(queue().Complete(b[0]));
  EXPECT_EQ(Get(id).state, JobState::kDone);
}

TEST_P(JobsTest, SameOwnerReleasingAfterExpiryGetsANewLease) {
  Add("delivery.send");
  auto first = LeaseAll("worker-a", {"delivery.send"}, 5 * kSecond);
  ASSERT_EQ(first.size(), 1u);
  clock_.Advance(5 * kSecond);
  auto second = LeaseAll("worker-a", {"delivery.send"}, 5 * kSecond);
  ASSERT_EQ(second.size(), 1u);
  // Same owner, but the first lease is over: only the second may finish it.
  auto stale = queue().Complete(first[0]);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(queue().Complete(second[0]));
}

TEST_P(JobsTest, ExpiredLeaseNobodyTookOverCanStillComplete) {
  const std::string id = Add("delivery.send");
  auto a = LeaseAll("worker-a", {"delivery.send"}, 5 * kSecond);
  ASSERT_EQ(a.size(), 1u);
  clock_.Advance(60 * kSecond);
  auto done = queue().Complete(a[0]);
  ASSERT_TRUE(done) << done.error().ToString();
  EXPECT_EQ(Get(id).state, JobState::kDone);
}

TEST_P(JobsTest, RetryBacksOffThenFailsAfterMaxAttempts) {
  const std::string id = Add("delivery.send", Json::object(), std::nullopt, /*max_attempts=*/3);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    auto leased = LeaseAll("w", {"delivery.send"});
    ASSERT_EQ(leased.size(), 1u) << attempt;
    EXPECT_EQ(leased[0].attempts, attempt);
    ASSERT_TRUE(queue().Retry(leased[0], "peer unreachable " + std::to_string(attempt), 7000));
    Job j = Get(id);
    EXPECT_EQ(j.state, JobState::kPending);
    EXPECT_EQ(j.run_at, clock_.NowMillis() + 7000);
    EXPECT_EQ(j.last_error, "peer unreachable " + std::to_string(attempt));
    EXPECT_FALSE(j.lease_until.has_value());
    EXPECT_FALSE(j.finished.has_value());
    clock_.Advance(6999);
    EXPECT_TRUE(LeaseAll("w", {"delivery.send"}).empty()) << attempt;
    clock_.Advance(1);
  }
  auto last = LeaseAll("w", {"delivery.send"});
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].attempts, 3);
  ASSERT_TRUE(queue().Retry(last[0], "peer unreachable 3", 7000));
  Job failed = Get(id);
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.finished, clock_.NowMillis());
  EXPECT_EQ(failed.last_error, "peer unreachable 3");
  EXPECT_EQ(failed.attempts, 3);

  clock_.Advance(24 * 3600 * kSecond);
  EXPECT_TRUE(LeaseAll("w", {"delivery.send"}).empty());
  auto counts = queue().Counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->failed, 1);
  auto listed = queue().List(JobState::kFailed, 10);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, id);
  EXPECT_TRUE(queue().List(JobState::kPending, 10).value().empty());
}

TEST_P(JobsTest, RetryCutsLongErrorsAtACharacterBoundary) {
  Add("delivery.send");
  auto leased = LeaseAll("w", {"delivery.send"});
  ASSERT_EQ(leased.size(), 1u);
  std::string error;
  while (error.size() < 3 * kMaxErrorBytes) error += "é";  // 2 bytes each
  error = "x" + error;  // so that byte kMaxErrorBytes falls inside a character
  ASSERT_TRUE(queue().Retry(leased[0], error, 0));
  Job j = Get(leased[0].id);
  ASSERT_TRUE(j.last_error.has_value());
  EXPECT_EQ(j.last_error->size(), kMaxErrorBytes - 1);
  EXPECT_EQ(*j.last_error, error.substr(0, kMaxErrorBytes - 1));
}

TEST_P(JobsTest, RetryStoresAnErrorThatIsNotUtf8) {
  Add("delivery.send");
  auto leased = LeaseAll("w", {"delivery.send"});
  ASSERT_EQ(leased.size(), 1u);
  // e.g. a peer's reply quoted in the error; PostgreSQL text refuses both.
  const std::string error = std::string("bad \xff byte") + std::string(1, '\0') + " end";
  auto r = queue().Retry(leased[0], error, 0);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Get(leased[0].id).last_error, "bad \xef\xbf\xbd byte\xef\xbf\xbd end");
}

TEST_P(JobsTest, ExpiredLeaseOnTheLastAttemptFailsTheJob) {
  // A job that kills its worker every time must not be leased forever.
  const std::string id = Add("crashy", Json::object(), std::nullopt, /*max_attempts=*/2);
  ASSERT_EQ(LeaseAll("w", {"crashy"}, 5 * kSecond).size(), 1u);
  clock_.Advance(5 * kSecond);
  auto second = LeaseAll("w", {"crashy"}, 5 * kSecond);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempts, 2);
  clock_.Advance(5 * kSecond - 1);
  EXPECT_TRUE(LeaseAll("w", {"crashy"}).empty());
  EXPECT_EQ(Get(id).state, JobState::kLeased);  // the lease still runs
  clock_.Advance(1);
  EXPECT_TRUE(LeaseAll("w", {"crashy"}).empty());
  Job j = Get(id);
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_EQ(j.attempts, 2);
  EXPECT_EQ(j.finished, clock_.NowMillis());
  ASSERT_TRUE(j.last_error.has_value());
  EXPECT_NE(j.last_error->find("lease of the last attempt expired"), std::string::npos);
  // Its worker coming back late is refused.
  auto late = queue().Complete(second[0]);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::kFailedPrecondition);
}

TEST_P(JobsTest, HandlerReturningAnErrorRetriesWithExponentialBackoff) {
  const std::string id = Add("delivery.send", {{"n", 1}}, std::nullopt, /*max_attempts=*/4);
  const std::string other = Add("unhandled.kind");
  int calls = 0;
  Handlers handlers;
  handlers["delivery.send"] = [&](const Job& job) -> Status {
    ++calls;
    EXPECT_EQ(job.payload, (Json{{"n", 1}}));
    if (calls == 1) return Fail(ErrorCode::kUnavailable, "peer unreachable");
    if (calls == 2) throw std::runtime_error("boom");
    return Ok();
  };

  auto ran = queue().RunDue("w", handlers, 10);
  ASSERT_TRUE(ran) << ran.error().ToString();
  EXPECT_EQ(*ran, 1);
  Job j = Get(id);
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.run_at, clock_.NowMillis() + 30 * kSecond);
  EXPECT_EQ(j.last_error, "peer unreachable");

  clock_.Advance(30 * kSecond - 1);
  EXPECT_EQ(queue().RunDue("w", handlers, 10).value(), 0);
  clock_.Advance(1);
  EXPECT_EQ(queue().RunDue("w", handlers, 10).value(), 1);
  j = Get(id);
  EXPECT_EQ(j.state, JobState::kPending);
  EXPECT_EQ(j.run_at, clock_.NowMillis() + 60 * kSecond);  // doubled
  EXPECT_EQ(j.last_error, "handler threw: boom");

  clock_.Advance(60 * kSecond);
  EXPECT_EQ(queue().RunDue("w", handlers, 10).value(), 1);
  j = Get(id);
  EXPECT_EQ(j.state, JobState::kDone);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(calls, 3);
  // A kind without a handler is never leased by RunDue.
  EXPECT_EQ(Get(other).state, JobState::kPending);
  EXPECT_EQ(Get(other).attempts, 0);
}

TEST_P(JobsTest, RunDueSkipsAJobWhoseLeaseRanOutBeforeItsTurn) {
  Add("slow");
  Add("slow");
  int calls = 0;
  Handlers handlers;
  handlers["slow"] = [&](const Job&) -> Status {
    ++calls;
    clock_.Advance(10 * kSecond);  // overruns the lease
    return Ok();
  };
  auto ran = queue().RunDue("w", handlers, 10, 5 * kSecond);
  ASSERT_TRUE(ran) << ran.error().ToString();
  EXPECT_EQ(*ran, 1);
  EXPECT_EQ(calls, 1);
  auto counts = queue().Counts().value();
  EXPECT_EQ(counts.done, 1);  // completed late: nobody had taken it over
  EXPECT_EQ(counts.leased, 1);
}

TEST_P(JobsTest, PurgeDoneRemovesOldDoneJobsOnly) {
  NewJob keyed;
  keyed.kind = "k";
  keyed.dedupe_key = "once";
  ASSERT_TRUE(queue().Enqueue(keyed).value());
  Add("k");
  Add("k", Json::object(), std::nullopt, 1);
  auto leased = LeaseAll("w", {"k"});
  ASSERT_EQ(leased.size(), 3u);
  ASSERT_TRUE(queue().Complete(leased[0]));
  ASSERT_TRUE(queue().Complete(leased[1]));
  ASSERT_TRUE(queue().Retry(leased[2], "gave up", 0));  // max_attempts 1: failed
  const Millis finished = clock_.NowMillis();
  Add("k");  // pending

  EXPECT_EQ(queue().PurgeDone(finished, 100).value(), 0);  // strictly before
  EXPECT_EQ(queue().PurgeDone(finished + 1, 1).value(), 1);
  EXPECT_EQ(queue().PurgeDone(finished + 1, 100).value(), 1);
  auto counts = queue().Counts().value();
  EXPECT_EQ(counts.done, 0);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(counts.pending, 1);
  // The purged job's dedupe key is free again.
  EXPECT_TRUE(queue().Enqueue(keyed).value());
}

TEST_P(JobsTest, BadInputGetsClearErrors) {
  auto expect_invalid = [](const auto& r, const std::string& field, const std::string& words) {
    ASSERT_FALSE(r) << field;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().ToString();
    EXPECT_EQ(r.error().field, field) << r.error().ToString();
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().ToString();
  };
  NewJob j;
  expect_invalid(queue().Enqueue(j), "kind", "empty");
  j.kind = "Delivery";
  expect_invalid(queue().Enqueue(j), "kind", "lower-case");
  j.kind = std::string(kMaxKindBytes + 1, 'a');
  expect_invalid(queue().Enqueue(j), "kind", "longer than");
  j.kind = "ok";
  j.max_attempts = 0;
  expect_invalid(queue().Enqueue(j), "max_attempts", "from 1");
  j.max_attempts = 3;
  j.run_at = -1;
  expect_invalid(queue().Enqueue(j), "run_at", "negative");
  j.run_at.reset();
  j.dedupe_key = "";
  expect_invalid(queue().Enqueue(j), "dedupe_key", "empty");
  j.dedupe_key = "key \xc3(";
  expect_invalid(queue().Enqueue(j), "dedupe_key", "UTF-8");
  j.dedupe_key.reset();
  j.payload = {{"s", std::string("\xff\xfe")}};
  expect_invalid(queue().Enqueue(j), "payload", "UTF-8");
  j.payload = {{"s", std::string("a\0b", 3)}};
  expect_invalid(queue().Enqueue(j), "payload", "NUL");
  j.payload = {{"s", std::string(kMaxPayloadBytes, 'x')}};
  expect_invalid(queue().Enqueue(j), "payload", "at most");
  EXPECT_EQ(queue().Counts().value().pending, 0);  // nothing was written

  expect_invalid(queue().Lease("w", {"ok"}, -1, kSecond), "limit", "from 1");
  expect_invalid(queue().Lease("w", {"ok"}, 0, kSecond), "limit", "from 1");
  expect_invalid(queue().Lease("w", {"ok"}, kMaxBatch + 1, kSecond), "limit", "from 1");
  expect_invalid(queue().Lease("", {"ok"}, 1, kSecond), "owner", "empty");
  expect_invalid(queue().Lease("w\xed\xa0\x80", {"ok"}, 1, kSecond), "owner", "UTF-8");
  expect_invalid(queue().Lease("w", {}, 1, kSecond), "kinds", "kinds");
  expect_invalid(queue().Lease("w", {"ok", ""}, 1, kSecond), "kinds/1", "empty");
  expect_invalid(queue().Lease("w", {"ok"}, 1, 0), "lease_for", "from 1");
  expect_invalid(queue().List(std::nullopt, -5), "limit", "from 1");
  expect_invalid(queue().PurgeDone(0, 0), "limit", "from 1");
  expect_invalid(queue().RunDue("w", Handlers{}, 1), "handlers", "no handlers");
  Handlers empty_fn;
  empty_fn["ok"] = nullptr;
  expect_invalid(queue().RunDue("w", empty_fn, 1), "handlers", "empty");
  expect_invalid(queue().Get("not-a-uuid"), "id", "UUID");

  // An unknown job.
  Job ghost;
  ghost.id = NewUuidV7(clock_);
  ghost.lease_owner = "w";
  ghost.attempts = 1;
  auto c = queue().Complete(ghost);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_NE(c.error().message.find("not found"), std::string::npos);
  auto r = queue().Retry(ghost, "x", kSecond);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  auto g = queue().Get(ghost.id);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, ErrorCode::kNotFound);

  // A job that was never leased, and a negative backoff.
  const std::string id = Add("ok");
  Job listed = Get(id);
  expect_invalid(queue().Complete(listed), "lease_owner", "Lease");
  auto leased = LeaseAll("w", {"ok"});
  ASSERT_EQ(leased.size(), 1u);
  expect_invalid(queue().Retry(leased[0], "x", -1), "backoff", "negative");
  Job forged = leased[0];
  forged.id = "nope";
  expect_invalid(queue().Complete(forged), "id", "UUID");
}

TEST(RetryBackoffTest, DoublesFromThirtySecondsUpToAnHour) {
  EXPECT_EQ(RetryBackoff(0), 30'000);
  EXPECT_EQ(RetryBackoff(1), 30'000);
  EXPECT_EQ(RetryBackoff(2), 60'000);
  EXPECT_EQ(RetryBackoff(3), 120'000);
  EXPECT_EQ(RetryBackoff(7), 1'920'000);
  EXPECT_EQ(RetryBackoff(8), 3'600'000);
  EXPECT_EQ(RetryBackoff(9), 3'600'000);
  EXPECT_EQ(RetryBackoff(1'000'000), 3'600'000);
}

TEST(JobStateTest, NamesRoundTrip) {
  for (JobState s : {JobState::kPending, JobState::kLeased, JobState::kDone, JobState::kFailed}) {
    EXPECT_EQ(ParseJobState(JobStateName(s)), s);
  }
  EXPECT_FALSE(ParseJobState("running").has_value());
}

// ---- concurrency ------------------------------------------------------------

// Adds `n` due jobs of kind "test.work" in one transaction; returns their ids.
std::set<std::string> AddWork(JobQueue& queue, store::Database& db, int n) {
  std::set<std::string> ids;
  auto added = db.Transact([&](store::Tx& tx) -> Status {
    NewJob j;
    j.kind = "test.work";
    j.run_at = 0;
    for (int i = 0; i < n; ++i) {
      j.payload = {{"i", i}};
      ENTENTE_TRY(queue.Enqueue(tx, j));
    }
    return Ok();
  });
  EXPECT_TRUE(added) << added.error().ToString();
  auto rows = db.Query("SELECT id FROM jobs WHERE kind = 'test.work'");
  EXPECT_TRUE(rows);
  for (const auto& r : rows.value_or(store::Rows{})) ids.insert(r.Text(0));
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
  return ids;
}

TEST_P(JobsTest, ThreadsOnOneDatabaseNeverLeaseAJobTwice) {
  constexpr int kJobs = 400;
  JobQueue real(db(), SystemClock::Instance());
  const std::set<std::string> all = AddWork(real, db(), kJobs);
  constexpr int kThreads = 4;
  std::vector<std::vector<std::string>> ran(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string owner = "thread-" + std::to_string(t);
      for (;;) {
        auto leased = real.Lease(owner, {"test.work"}, 7, 60 * kSecond);
        if (!leased) {
          ADD_FAILURE() << leased.error().ToString();
          return;
        }
        if (leased->empty()) return;
        for (const Job& job : *leased) {
          ran[static_cast<size_t>(t)].push_back(job.id);
          auto done = real.Complete(job);
          if (!done) ADD_FAILURE() << done.error().ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& r : ran) {
    total += r.size();
    seen.insert(r.begin(), r.end());
  }
  EXPECT_EQ(total, static_cast<size_t>(kJobs));  // nothing ran twice
  EXPECT_EQ(seen, all);                          // everything ran
  EXPECT_EQ(real.Counts().value().done, kJobs);
}

#ifndef ENTENTE_JOBS_WORKER
#error "ENTENTE_JOBS_WORKER (path of the jobs_worker binary) must be defined by the build"
#endif

// A child process running jobs_worker with its stdout in a file.
struct Worker {
  pid_t pid = -1;
  std::filesystem::path out;
};

Worker Spawn(const std::string& url, const std::string& owner, const std::filesystem::path& dir,
             const std::filesystem::path& go) {
  Worker w;
  w.out = dir / (owner + ".out");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, w.out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string worker = ENTENTE_JOBS_WORKER;
  std::string go_path = go.string();
  std::string batch = "10";
  std::string url_arg = url;
  std::string owner_arg = owner;
  char* argv[] = {worker.data(),  url_arg.data(), owner_arg.data(),
                  go_path.data(), batch.data(),   nullptr};
  const int rc = posix_spawn(&w.pid, worker.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot start " << worker;
  if (rc != 0) w.pid = -1;
  return w;
}

// Waits for `w` up to `deadline`; kills it when the deadline passes. Returns
// the exit status (-1 when it did not exit normally).
int Wait(Worker& w, std::chrono::steady_clock::time_point deadline) {
  if (w.pid < 0) return -1;
  int status = 0;
  for (;;) {
    const pid_t got = waitpid(w.pid, &status, WNOHANG);
    if (got == w.pid) break;
    if (got < 0) return -1;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(w.pid, SIGKILL);
      waitpid(w.pid, &status, 0);
      ADD_FAILURE() << "worker " << w.out << " did not finish in time";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// True once the worker has printed "ready" (it waits for the go file next).
bool IsReady(const Worker& w) {
  std::ifstream in(w.out);
  std::string line;
  return std::getline(in, line) && line == "ready";
}

std::vector<std::string> RanIds(const std::filesystem::path& out) {
  std::vector<std::string> ids;
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("ran ")) ids.push_back(line.substr(4));
  }
  return ids;
}

TEST_P(JobsTest, TwoProcessesNeverRunAJobTwiceAndTogetherRunAll) {
  constexpr int kJobs = 2000;
  JobQueue real(db(), SystemClock::Instance());
  const std::set<std::string> all = AddWork(real, db(), kJobs);
  ASSERT_EQ(all.size(), static_cast<size_t>(kJobs));

  std::string tmpl =
      (std::filesystem::temp_directory_path() / "entente-jobs-workers-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::filesystem::path dir = tmpl;
  const std::filesystem::path go = dir / "go";
  Worker a = Spawn(url(), "proc-a", dir, go);
  Worker b = Spawn(url(), "proc-b", dir, go);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  // Both have opened the database: let them lease together.
  const auto ready_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(IsReady(a) && IsReady(b)) && std::chrono::steady_clock::now() < ready_deadline &&
         !HasFailure()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  { std::ofstream(go) << "go\n"; }
  const int status_a = Wait(a, deadline);
  const int status_b = Wait(b, deadline);
  EXPECT_EQ(status_a, 0) << "proc-a failed (its stderr is above)";
  EXPECT_EQ(status_b, 0) << "proc-b failed (its stderr is above)";

  const std::vector<std::string> ran_a = RanIds(a.out);
  const std::vector<std::string> ran_b = RanIds(b.out);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  const std::set<std::string> set_a(ran_a.begin(), ran_a.end());
  const std::set<std::string> set_b(ran_b.begin(), ran_b.end());
  EXPECT_EQ(set_a.size(), ran_a.size()) << "proc-a ran a job twice";
  EXPECT_EQ(set_b.size(), ran_b.size()) << "proc-b ran a job twice";
  std::vector<std::string> both;
  std::set_intersection(set_a.begin(), set_a.end(), set_b.begin(), set_b.end(),
                        std::back_inserter(both));
  EXPECT_TRUE(both.empty()) << both.size() << " jobs ran in both processes, e.g. "
                            << (both.empty() ? "" : both.front());
  std::set<std::string> all_ran = set_a;
  all_ran.insert(set_b.begin(), set_b.end());
  EXPECT_EQ(all_ran, all) << "ran " << all_ran.size() << " of " << kJobs;
  // Both really took part (each had the whole pool to compete for).
  EXPECT_GT(ran_a.size(), 0u);
  EXPECT_GT(ran_b.size(), 0u);
  std::cout << "proc-a ran " << ran_a.size() << ", proc-b ran " << ran_b.size() << "\n";

  // The table agrees: every job done once, by the process that printed it.
  auto rows = db().Query("SELECT id, state, attempts, lease_owner FROM jobs");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), static_cast<size_t>(kJobs));
  for (const auto& r : *rows) {
    EXPECT_EQ(r.Text(1), "done") << r.Text(0);
    EXPECT_EQ(r.Int(2), 1) << r.Text(0);
    const std::string& owner = set_a.contains(r.Text(0)) ? "proc-a" : "proc-b";
    EXPECT_EQ(r.Text(3), owner) << r.Text(0);
  }
}

// A payload edited into something that does not parse fails its job instead
// of blocking the queue. (PostgreSQL's JSONB column cannot hold one.)
class JobsSqliteTest : public JobsTest {};

TEST_P(JobsSqliteTest, UnreadableStoredPayloadFailsTheJob) {
  const std::string bad = Add("k");
  const std::string good = Add("k");
  ASSERT_TRUE(db().Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE jobs SET payload = '{not json' WHERE id = ?", {bad}));
    return Ok();
  }));
  auto leased = LeaseAll("w", {"k"});
  ASSERT_EQ(leased.size(), 1u);
  EXPECT_EQ(leased[0].id, good);
  Job j = Get(bad);
  EXPECT_EQ(j.state, JobState::kFailed);
  EXPECT_EQ(j.last_error, "stored payload is not valid JSON");
  EXPECT_TRUE(j.payload.is_null());
}

ENTENTE_INSTANTIATE_BACKENDS(JobsTest);
ENTENTE_INSTANTIATE_SQLITE(JobsSqliteTest);

}  // namespace
}  // namespace entente::jobs
