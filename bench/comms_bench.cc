// Communications, side by side with the alternative. scripts/bench.sh prints
// the ratios.
//
//   BM_Message_EndToEnd/<backend>   compose -> validate -> seal -> sign ->
//                                   record (journal + projections + jobs) ->
//                                   deliver (leased job, signed event) -> open,
//                                   one message at a time on a whole node
//   BM_Message_PlainInsert/<backend> the same message stored as plain JSON in
//                                   one INSERT (no template, seal, signature,
//                                   journal or delivery): what the confidence
//                                   and integrity cost
//   BM_Seal_ContentKey/N            the body sealed once, its content key
//                                   wrapped for N recipients (Entente)
//   BM_Seal_PerRecipientBox/N       the whole body crypto_box_seal'ed for each
//                                   of N recipients (the obvious alternative)
//
// PostgreSQL runs when ENTENTE_BENCH_PG_URL names a server whose user may
// CREATE DATABASE (e.g. scripts/pg-test-env.sh).
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/node.h"
#include "crypto/crypto.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace entente;

namespace {

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) {
    fprintf(stderr, "%s: %s\n", what, r.error().ToString().c_str());
    std::abort();
  }
  return std::move(*r);
}
void Must(Status s, const char* what) {
  if (!s) {
    fprintf(stderr, "%s: %s\n", what, s.error().ToString().c_str());
    std::abort();
  }
}

const std::string kDescription(1500, 'd');

nlohmann::json MessageInput(const std::string& to) {
  return {{"kind", "incident_notification"},
          {"recipients", {to}},
          {"tlp", "amber"},
          {"language", "en"},
          {"fields",
           {{"urgency", "urgent"},
            {"classification", {{"class", "availability"}, {"type", "ddos"}}},
            {"sectors", {"nis2:health", "nis2:energy"}},
            {"countries", {"FR", "DE"}},
            {"summary", "DDoS against hospital networks"},
            {"description", kDescription}}}};
}

// A fresh node (its own SQLite file or PostgreSQL database) with two
// organisations that hold keys here.
struct BenchNode {
  fs::path dir;
  std::unique_ptr<api::Node> node;
  directory::Actor sender, recipient;

  explicit BenchNode(bool postgres) {
    spdlog::set_level(spdlog::level::warn);  // stdout carries the JSON report
    dir = fs::temp_directory_path() /
          ("entente-comms-bench-" + std::to_string(getpid()) + (postgres ? "-pg" : "-sqlite"));
    fs::remove_all(dir);
    fs::create_directories(dir);
    api::NodeOptions opts;
    opts.master_key_file = dir / "master.key";
    opts.db_url = (dir / "entente.db").string();
    if (postgres) {
      std::string url = std::getenv("ENTENTE_BENCH_PG_URL");
      std::string db = "entente_comms_bench_" + std::to_string(getpid());
      auto admin = Must(store::Open(url), "connect");
      Must(admin->Transact([&](store::Tx&) -> Status { return Ok(); }), "ping");
      (void)admin->Query("DROP DATABASE IF EXISTS " + db);
      Must(admin->Query("CREATE DATABASE " + db), "create database");
      opts.db_url = url.substr(0, url.rfind('/') + 1) + db;
    }
    api::InitOptions init;
    init.founding_org = {{"kind", "regional_org"}, {"names", {{"en", "Bench operators"}}}};
    init.operator_password = "benchmark password";
    Must(api::Node::Init(opts, init), "init");
    node = Must(api::Node::Open(opts), "open");
    directory::Actor op{"", Must(node->FoundingOrg(), "founding")};
    auto a = Must(node->directory().CreateOrg(
                      op, {{"kind", "national_csirt"}, {"names", {{"en", "Sender"}}}}),
                  "org a");
    auto b = Must(node->directory().CreateOrg(
                      op, {{"kind", "national_csirt"}, {"names", {{"en", "Recipient"}}}}),
                  "org b");
    sender = {"", a.id};
    recipient = {"", b.id};
  }
  ~BenchNode() {
    node.reset();
    fs::remove_all(dir);
  }
};

void EndToEnd(benchmark::State& state, bool postgres) {
  if (postgres && !std::getenv("ENTENTE_BENCH_PG_URL")) {
    state.SkipWithError("ENTENTE_BENCH_PG_URL is not set");
    return;
  }
  BenchNode b(postgres);
  auto input = MessageInput(b.recipient.org_id);
  for (auto _ : state) {
    auto m = Must(b.node->comms().Send(b.sender, input), "send");
    Must(b.node->comms().RunJobs("bench", 10), "deliver");
    auto opened = Must(b.node->comms().Open(b.recipient, m.id), "open");
    benchmark::DoNotOptimize(opened);
  }
  state.counters["messages_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The same, as a node under load works: ten messages sent, then one pass of
// the job worker (which leases up to 100 due jobs per pass in `serve`)
// delivers them, then each is opened. Counted per message.
void EndToEndBatch(benchmark::State& state, bool postgres) {
  if (postgres && !std::getenv("ENTENTE_BENCH_PG_URL")) {
    state.SkipWithError("ENTENTE_BENCH_PG_URL is not set");
    return;
  }
  constexpr int kBatch = 10;
  BenchNode b(postgres);
  auto input = MessageInput(b.recipient.org_id);
  std::vector<std::string> ids(kBatch);
  for (auto _ : state) {
    for (auto& id : ids) id = Must(b.node->comms().Send(b.sender, input), "send").id;
    const int ran = Must(b.node->comms().RunJobs("bench", 100), "deliver");
    if (ran < kBatch) {
      state.SkipWithError("the worker did not deliver every message of the batch");
      return;
    }
    for (const auto& id : ids) {
      auto opened = Must(b.node->comms().Open(b.recipient, id), "open");
      benchmark::DoNotOptimize(opened);
    }
  }
  state.counters["messages_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kBatch, benchmark::Counter::kIsRate);
}

void PlainInsert(benchmark::State& state, bool postgres) {
  if (postgres && !std::getenv("ENTENTE_BENCH_PG_URL")) {
    state.SkipWithError("ENTENTE_BENCH_PG_URL is not set");
    return;
  }
  BenchNode b(postgres);
  Must(b.node->db().Transact([](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("CREATE TABLE plain_messages (id TEXT PRIMARY KEY, sender TEXT, "
                "recipient TEXT, body TEXT, created BIGINT)"));
    return Ok();
  }),
       "create");
  std::string body = MessageInput(b.recipient.org_id).dump();
  std::int64_t i = 0;
  for (auto _ : state) {
    ++i;
    Must(b.node->db().Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("INSERT INTO plain_messages VALUES (?, ?, ?, ?, ?)",
                          {std::to_string(i), b.sender.org_id, b.recipient.org_id, body, i}));
      return Ok();
    }),
         "insert");
    auto rows = Must(
        b.node->db().Query("SELECT body FROM plain_messages WHERE id = ?", {std::to_string(i)}),
        "read");
    benchmark::DoNotOptimize(rows);
  }
  state.counters["messages_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Seal_ContentKey(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  std::vector<crypto::BoxKeyPair> keys;
  for (int i = 0; i < n; ++i) keys.push_back(crypto::GenerateBoxKey());
  std::vector<crypto::Recipient> rcpts;
  for (int i = 0; i < n; ++i) rcpts.push_back({"org-" + std::to_string(i), keys[i].public_key});
  std::string body(static_cast<size_t>(state.range(1)), 'b');
  for (auto _ : state) {
    auto s = Must(crypto::Seal(crypto::AsBytes(body), rcpts), "seal");
    benchmark::DoNotOptimize(s);
  }
  state.counters["us_per_recipient"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_Seal_PerRecipientBox(benchmark::State& state) {
  int n = static_cast<int>(state.range(0));
  std::vector<crypto::BoxKeyPair> keys;
  for (int i = 0; i < n; ++i) keys.push_back(crypto::GenerateBoxKey());
  std::string body(static_cast<size_t>(state.range(1)), 'b');
  std::vector<unsigned char> out(body.size() + crypto_box_SEALBYTES);
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) {
      crypto_box_seal(out.data(), reinterpret_cast<const unsigned char*>(body.data()), body.size(),
                      keys[i].public_key.data());
      benchmark::DoNotOptimize(out);
    }
  }
  state.counters["us_per_recipient"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * n,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK_CAPTURE(EndToEnd, sqlite, false)
    ->Name("BM_Message_EndToEnd/sqlite")
    ->MinTime(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(EndToEnd, postgres, true)
    ->Name("BM_Message_EndToEnd/postgres")
    ->MinTime(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(EndToEndBatch, sqlite, false)
    ->Name("BM_Message_EndToEndBatch/sqlite")
    ->MinTime(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(EndToEndBatch, postgres, true)
    ->Name("BM_Message_EndToEndBatch/postgres")
    ->MinTime(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(PlainInsert, sqlite, false)
    ->Name("BM_Message_PlainInsert/sqlite")
    ->MinTime(2)
    ->UseRealTime();
BENCHMARK_CAPTURE(PlainInsert, postgres, true)
    ->Name("BM_Message_PlainInsert/postgres")
    ->MinTime(2)
    ->UseRealTime();
// (recipients, body bytes): a 4 KB notification, a 256 KB one with a STIX annex.
BENCHMARK(BM_Seal_ContentKey)->ArgsProduct({{1, 10, 100}, {4096, 262144}});
BENCHMARK(BM_Seal_PerRecipientBox)->ArgsProduct({{1, 10, 100}, {4096, 262144}});

BENCHMARK_MAIN();
