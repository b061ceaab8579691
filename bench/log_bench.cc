// The verifiable record, side by side with what a user without stored
// subtrees would do. scripts/bench.sh prints the ratios.
//
//   BM_Append_InMemory          leaf hash of a ~700-byte envelope + the
//                               perfect subtrees it completes (the ceiling)
//   BM_Sync/<backend>           Log::Sync over 100,000 new journal rows: read,
//                               hash, store the nodes (appends per second;
//                               storage bytes per leaf as a counter)
//   BM_InclusionProof_Stored/N  a proof from stored perfect subtrees in a log
//                               of N leaves (O(log n) rows read)
//   BM_InclusionProof_Naive/N   read all N leaf hashes and build the proof
//                               from them (RFC 9162 PATH over all leaves)
//   BM_Root_Stored/N, BM_Root_Naive/N   the same for the root hash
//
// Logs of 1 K, 1 M and 10 M leaves are built once (log_nodes only, from
// synthetic leaves) in SQLite files under $TMPDIR/entente-log-bench and
// reused by later runs. With ENTENTE_BENCH_PG_URL set (a server whose user
// may CREATE DATABASE, e.g. scripts/pg-test-env.sh), BM_Sync also runs on
// PostgreSQL.
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "crypto/crypto.h"
#include "identity/identity.h"
#include "store/store.h"
#include "transparency/log.h"
#include "transparency/merkle.h"

namespace fs = std::filesystem;
using namespace entente;
using transparency::Hash;

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

// A journal row's worth of canonical JSON (a directory.org envelope is 0.7-1 KB).
std::string EnvelopeBytes(std::uint64_t i) {
  std::string s = "{\"author_org\":\"01a2058e-954d-7197-b583-02974402490e\",\"body\":{\"org\":{";
  s += "\"names\":{\"en\":\"Computer Emergency Response Team " + std::to_string(i) + "\"},";
  s += "\"sign_public\":\"58nRhpyxUqyd3UB3QzqpDTJ206nx1oogb1DSp9AEvQY\",\"sectors\":[]}},";
  s += "\"created\":" + std::to_string(1'700'000'000'000 + i) + ",";
  s += "\"distribution\":{\"kind\":\"federation\"},\"id\":\"01a2058e-9b55-7356-8fd8-" +
       std::to_string(100000000000 + i) + "\",";
  s += "\"origin_node\":\"fdaa9cd613b229ae999c8001f45dc0538f7485925bcc6b5eeceece1b2ffc5c94\",";
  s += "\"sig\":\"" + std::string(86, 'Q') + "\",\"tlp\":\"green\",\"type\":\"directory.org\",";
  s += "\"v\":1";
  if (s.size() < 699) s.append(699 - s.size(), ' ');
  s += "}";
  return s;
}

Hash SyntheticLeaf(std::uint64_t i) {
  std::string s = "leaf " + std::to_string(i);
  return transparency::LeafHash(crypto::AsBytes(s));
}

fs::path BenchDir() {
  fs::path d = fs::temp_directory_path() / "entente-log-bench";
  fs::create_directories(d);
  return d;
}

std::unique_ptr<store::Database> OpenMigrated(const std::string& url) {
  auto db = Must(store::Open(url), "open");
  Must(store::Migrate(*db, store::BuiltinMigrations(db->backend())), "migrate");
  return db;
}

// Writes log_nodes for `n` synthetic leaves, as Sync would.
void FillNodes(store::Database& db, std::uint64_t n) {
  transparency::CompactRange range;
  constexpr std::uint64_t kPerTx = 200'000;
  for (std::uint64_t start = 0; start < n; start += kPerTx) {
    Must(db.Transact([&](store::Tx& tx) -> Status {
      store::Params p;
      auto flush = [&]() -> Status {
        if (p.empty()) return Ok();
        std::string sql = "INSERT INTO log_nodes (level, idx, hash) VALUES ";
        for (size_t i = 0; i < p.size() / 3; ++i) sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
        ENTENTE_TRY(tx.Exec(sql, p));
        p.clear();
        return Ok();
      };
      for (std::uint64_t i = start; i < std::min(n, start + kPerTx); ++i) {
        range.Append(SyntheticLeaf(i), [&](transparency::NodeId id, const Hash& h) {
          p.emplace_back(std::in_place_type<std::int64_t>, id.level);
          p.emplace_back(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(id.index));
          p.emplace_back(std::in_place_type<std::string>, crypto::HexEncode(h));
        });
        if (p.size() >= 1500) ENTENTE_CHECK(flush());
      }
      return flush();
    }),
         "fill");
  }
}

struct Node {
  std::unique_ptr<store::Database> db;
  identity::MasterKey master = identity::MasterKey::Random();
  std::unique_ptr<transparency::Log> log;
};

std::unique_ptr<Node> MakeNode(std::unique_ptr<store::Database> db) {
  auto n = std::make_unique<Node>();
  n->db = std::move(db);
  n->log = std::make_unique<transparency::Log>(*n->db, n->master, identity::NodeInfo{},
                                               SystemClock::Instance());
  return n;
}

// A SQLite log of `n` leaves, built once and kept for later runs.
Node& LogOf(std::uint64_t n) {
  static std::map<std::uint64_t, std::unique_ptr<Node>> logs;
  auto& slot = logs[n];
  if (slot) return *slot;
  fs::path file = BenchDir() / ("log-" + std::to_string(n) + ".db");
  slot = MakeNode(OpenMigrated(file.string()));
  if (Must(slot->log->Size(), "size") != n) {
    fprintf(stderr, "building a log of %llu leaves in %s ...\n", static_cast<unsigned long long>(n),
            file.c_str());
    Must(slot->db->Transact([](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("DELETE FROM log_nodes"));
      return Ok();
    }),
         "clear");
    FillNodes(*slot->db, n);
  }
  return *slot;
}

// Counts the perfect subtrees a proof names (the rows it reads).
size_t NodesRead(std::uint64_t index, std::uint64_t size) {
  size_t count = 0;
  transparency::NodeReader counting =
      [&](std::span<const transparency::NodeId> ids) -> Result<std::vector<Hash>> {
    count += ids.size();
    return std::vector<Hash>(ids.size());
  };
  (void)transparency::InclusionProof(counting, index, size);
  return count + 1;  // and the leaf itself
}

std::vector<Hash> ReadAllLeaves(store::Database& db, std::uint64_t n) {
  auto rows = Must(db.Query("SELECT hash FROM log_nodes WHERE level = 0 AND idx < ? ORDER BY idx",
                            {static_cast<std::int64_t>(n)}),
                   "read leaves");
  std::vector<Hash> leaves;
  leaves.reserve(rows.size());
  for (const auto& r : rows)
    leaves.push_back(Must(transparency::HashFromHex(r.Text(0), ""), "hex"));
  return leaves;
}

void BM_Append_InMemory(benchmark::State& state) {
  std::vector<std::string> envelopes;
  for (int i = 0; i < 1024; ++i) envelopes.push_back(EnvelopeBytes(i));
  transparency::CompactRange range;
  size_t nodes = 0;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::string& e = envelopes[i++ & 1023];
    range.Append(transparency::LeafHash(crypto::AsBytes(e)),
                 [&](transparency::NodeId, const Hash&) { ++nodes; });
  }
  benchmark::DoNotOptimize(nodes);
  state.counters["appends_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Appends per second of Log::Sync over kRows journal rows.
constexpr std::int64_t kRows = 100'000;

void FillJournal(store::Database& db) {
  Must(db.Transact([&](store::Tx& tx) -> Status {
    for (std::int64_t start = 0; start < kRows; start += 200) {
      std::string sql =
          "INSERT INTO journal (seq, id, type, author_org, origin_node, created, subject, "
          "envelope) VALUES ";
      store::Params p;
      for (std::int64_t i = start; i < std::min(kRows, start + 200); ++i) {
        sql +=
            i > start ? ", (?, ?, 't', 'a', 'o', 0, 's', ?)" : "(?, ?, 't', 'a', 'o', 0, 's', ?)";
        p.emplace_back(std::in_place_type<std::int64_t>, i + 1);
        p.emplace_back(std::in_place_type<std::string>, "bench-" + std::to_string(i));
        p.emplace_back(std::in_place_type<std::string>,
                       EnvelopeBytes(static_cast<std::uint64_t>(i)));
      }
      ENTENTE_TRY(tx.Exec(sql, p));
    }
    return Ok();
  }),
       "fill journal");
}

void RunSync(benchmark::State& state, Node& node, const char* size_sql) {
  for (auto _ : state) {
    state.PauseTiming();
    // TRUNCATE on PostgreSQL: deleted rows would count in the table's size.
    bool pg = node.db->backend() == store::Backend::kPostgres;
    Must(node.db->Transact([pg](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(pg ? "TRUNCATE log_nodes" : "DELETE FROM log_nodes"));
      return Ok();
    }),
         "clear");
    state.ResumeTiming();
    auto n = Must(node.log->Sync(), "sync");
    if (n != static_cast<std::uint64_t>(kRows)) std::abort();
  }
  state.counters["appends_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kRows), benchmark::Counter::kIsRate);
  auto bytes = Must(node.db->Query(size_sql), "size").at(0).Int(0);
  state.counters["bytes_per_leaf"] = static_cast<double>(bytes) / kRows;
}

void BM_Sync_Sqlite(benchmark::State& state) {
  static std::unique_ptr<Node> node = [] {
    fs::path file = BenchDir() / "sync.db";
    fs::remove(file);
    fs::remove(file.string() + "-wal");
    fs::remove(file.string() + "-shm");
    auto n = MakeNode(OpenMigrated(file.string()));
    FillJournal(*n->db);
    return n;
  }();
  RunSync(state, *node, "SELECT SUM(pgsize) FROM dbstat WHERE name = 'log_nodes'");
}

// PostgreSQL: a fresh database on the server of ENTENTE_BENCH_PG_URL.
std::string PgAdmin(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

void BM_Sync_Postgres(benchmark::State& state) {
  const char* url = std::getenv("ENTENTE_BENCH_PG_URL");
  if (!url || !*url) {
    state.SkipWithError("set ENTENTE_BENCH_PG_URL to run on PostgreSQL");
    return;
  }
  static std::unique_ptr<Node> node = [&] {
    std::string base(url);
    PgAdmin(base, "DROP DATABASE IF EXISTS entente_log_bench WITH (FORCE)");
    std::string err = PgAdmin(base, "CREATE DATABASE entente_log_bench");
    if (!err.empty()) {
      fprintf(stderr, "create database: %s\n", err.c_str());
      std::abort();
    }
    auto slash = base.rfind('/');
    auto n = MakeNode(OpenMigrated(base.substr(0, slash) + "/entente_log_bench"));
    FillJournal(*n->db);
    return n;
  }();
  RunSync(state, *node, "SELECT pg_total_relation_size('log_nodes')");
}

// Leaf indices spread over the whole log, the same in both variants.
std::uint64_t IndexAt(std::uint64_t k, std::uint64_t n) { return (k * 2654435761u + 12345) % n; }

void BM_InclusionProof_Stored(benchmark::State& state) {
  auto n = static_cast<std::uint64_t>(state.range(0));
  Node& node = LogOf(n);
  std::uint64_t k = 0;
  for (auto _ : state) {
    auto a = Must(node.log->InclusionProof(IndexAt(k++, n), n), "proof");
    benchmark::DoNotOptimize(a);
  }
  state.counters["nodes_read"] = static_cast<double>(NodesRead(IndexAt(0, n), n));
}

void BM_InclusionProof_Naive(benchmark::State& state) {
  auto n = static_cast<std::uint64_t>(state.range(0));
  Node& node = LogOf(n);
  std::uint64_t k = 0;
  for (auto _ : state) {
    auto leaves = ReadAllLeaves(*node.db, n);
    auto proof = transparency::reference::InclusionProof(leaves, IndexAt(k++, n));
    benchmark::DoNotOptimize(proof);
  }
  state.counters["nodes_read"] = static_cast<double>(n);
}

void BM_Root_Stored(benchmark::State& state) {
  auto n = static_cast<std::uint64_t>(state.range(0));
  Node& node = LogOf(n);
  for (auto _ : state) benchmark::DoNotOptimize(Must(node.log->RootAt(n), "root"));
  state.counters["nodes_read"] = static_cast<double>(transparency::EdgeNodes(n).size());
}

void BM_Root_Naive(benchmark::State& state) {
  auto n = static_cast<std::uint64_t>(state.range(0));
  Node& node = LogOf(n);
  for (auto _ : state)
    benchmark::DoNotOptimize(transparency::reference::Root(ReadAllLeaves(*node.db, n)));
  state.counters["nodes_read"] = static_cast<double>(n);
}

}  // namespace

BENCHMARK(BM_Append_InMemory);
BENCHMARK(BM_Sync_Sqlite)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_Sync_Postgres)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK(BM_InclusionProof_Stored)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_InclusionProof_Naive)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();
BENCHMARK(BM_Root_Stored)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(BM_Root_Naive)
    ->Arg(1'000)
    ->Arg(1'000'000)
    ->Arg(10'000'000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

int main(int argc, char** argv) {
  if (!crypto::Init()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
