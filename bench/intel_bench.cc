// STIX import throughput (bench/run-intel.sh prints the table).
//
//   intel_bench N BUNDLE_PATH [PG_URL]
//
// Generates a bundle of N indicators (distinct ids and domains, TLP-marked),
// writes it to BUNDLE_PATH (for the Python baseline of run-intel.sh) and
// imports it with IntelRepository (all checks: strict JSON, schemas, spec
// rules, pattern parse, canonical JSON, versioning) into a fresh SQLite
// database, then, when PG_URL is given, into that PostgreSQL database (its
// intel_objects table is emptied first). Beside it, in the same run: a plain
// loop that parses each object with nlohmann and inserts (id, text) with one
// prepared sqlite3 statement, no validation. Prints one JSON object.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "intel/repository.h"
#include "jcs/jcs.h"
#include "store/store.h"

using namespace entente;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

std::string MakeBundle(size_t n) {
  std::string out =
      R"({"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[)";
  out.reserve(n * 420 + 200);
  for (size_t i = 0; i < n; ++i) {
    if (i) out += ",\n";
    out += fmt::format(
        R"({{"type":"indicator","spec_version":"2.1","id":"indicator--{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",)"
        R"("created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",)"
        R"("name":"C2 domain {}","indicator_types":["malicious-activity"],)"
        R"("pattern":"[domain-name:value = 'c2-{}.example.com']","pattern_type":"stix",)"
        R"("valid_from":"2024-01-01T00:00:00Z",)"
        R"("object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}})",
        static_cast<unsigned>(i * 2654435761u), i % 0xffff, (i >> 4) % 0xfff, (i >> 8) % 0xfff, i,
        i, i);
  }
  out += "]}";
  return out;
}

struct Figure {
  double seconds = 0;
  double cpu_seconds = 0;  // of this process (PostgreSQL's own work is not in it)
  size_t objects = 0;
  std::string error;
};

Figure ImportInto(store::Database& db, const std::string& bundle) {
  Figure f;
  ManualClock clock;
  intel::IntelRepository repo(db, clock);
  intel::ImportOptions options;
  options.record_stored = false;
  options.owner_org = "bench-org";
  if (const char* t = std::getenv("INTEL_BENCH_THREADS"); t && *t)
    options.prepare_threads = std::strtoull(t, nullptr, 10);
  auto start = std::chrono::steady_clock::now();
  const double cpu = CpuSeconds();
  auto report = repo.Import(bundle, options);
  f.seconds = Seconds(start);
  f.cpu_seconds = CpuSeconds() - cpu;
  if (!report) {
    f.error = report.error().ToString();
  } else if (!report->stored) {
    f.error =
        fmt::format("rejected: {}", report->outcomes.empty() ? "" : report->outcomes[0].reason);
  } else {
    f.objects = report->added;
  }
  return f;
}

// What the import does to each object before the database, on one thread:
// read the bundle, parse strictly, validate (schemas, spec rules, pattern),
// canonical JSON. The rest of the import's CPU time is the SQL side.
// fast_shapes false: the interpreted schema for every object (as before
// fast_shape.h), for comparison in the same run.
Figure PrepareOnly(const std::string& bundle, bool fast_shapes) {
  Figure f;
  intel::BundleLimits limits;
  intel::ValidationOptions validation;
  validation.fast_shapes = fast_shapes;
  const auto& validator = intel::StixValidator::Default();
  auto start = std::chrono::steady_clock::now();
  const double cpu = CpuSeconds();
  auto env = intel::ReadBundle(bundle, limits, [&](size_t, std::string_view text) -> Status {
    auto j = intel::ParseObject(text, limits);
    if (!j) return std::unexpected(j.error());
    if (auto p = validator.Validate(*j, validation)) return Invalid(p->path + ": " + p->reason);
    auto c = jcs::Canonicalize(*j);
    if (!c) return std::unexpected(c.error());
    ++f.objects;
    return Ok();
  });
  f.seconds = Seconds(start);
  f.cpu_seconds = CpuSeconds() - cpu;
  if (!env) f.error = env.error().ToString();
  return f;
}

// The baseline: parse each object, insert id + text, one transaction.
Figure PlainInsert(const fs::path& path, const std::string& bundle) {
  Figure f;
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
               "CREATE TABLE objects (id TEXT PRIMARY KEY, content TEXT NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO objects (id, content) VALUES (?, ?)", -1, &stmt, nullptr);
  auto start = std::chrono::steady_clock::now();
  const double cpu = CpuSeconds();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  // Split the objects array the simple way: one object per line.
  size_t pos = bundle.find('[') + 1;
  while (pos < bundle.size()) {
    size_t end = bundle.find(",\n", pos);
    if (end == std::string::npos) end = bundle.size() - 2;  // before "]}"
    Json j = Json::parse(bundle.begin() + static_cast<std::ptrdiff_t>(pos),
                         bundle.begin() + static_cast<std::ptrdiff_t>(end));
    std::string id = j["id"].get<std::string>();
    std::string text = j.dump();
    sqlite3_bind_text(stmt, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) != SQLITE_DONE) {
      f.error = sqlite3_errmsg(db);
      break;
    }
    sqlite3_reset(stmt);
    ++f.objects;
    pos = end + 2;
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  f.seconds = Seconds(start);
  f.cpu_seconds = CpuSeconds() - cpu;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: intel_bench N BUNDLE_PATH [PG_URL]\n";
    return 2;
  }
  const size_t n = std::strtoull(argv[1], nullptr, 10);
  // The schemas are compiled once per process (about 0.2 s); not part of
  // the per-object figure.
  (void)intel::StixValidator::Default();
  const std::string bundle = MakeBundle(n);
  {
    std::ofstream out(argv[2], std::ios::binary);
    out << bundle;
  }
  const long rss_bundle = PeakRssKb();
  fs::path dir = fs::temp_directory_path() / fmt::format("entente-intel-bench-{}", getpid());
  fs::create_directories(dir);

  Json result = {
      {"objects", n}, {"bundle_bytes", bundle.size()}, {"rss_after_generating_kb", rss_bundle}};

  for (bool fast : {true, false}) {
    Figure prepare = PrepareOnly(bundle, fast);
    if (!prepare.error.empty()) {
      std::cerr << "the generated bundle does not validate: " << prepare.error << "\n";
      return 1;
    }
    result[fast ? "prepare_per_cpu_second" : "prepare_interpreted_per_cpu_second"] =
        prepare.objects / prepare.cpu_seconds;
  }

  Figure plain = PlainInsert(dir / "plain.db", bundle);
  result["plain_seconds"] = plain.seconds;
  result["plain_per_second"] = plain.objects / plain.seconds;
  result["plain_per_cpu_second"] = plain.objects / plain.cpu_seconds;
  const long rss_plain = PeakRssKb();

  {
    auto db = store::Open("sqlite:" + (dir / "entente.db").string());
    if (!db || !store::Migrate(**db, store::BuiltinMigrations(store::Backend::kSqlite))) {
      std::cerr << "cannot open the SQLite database\n";
      return 1;
    }
    Figure f = ImportInto(**db, bundle);
    if (!f.error.empty()) {
      std::cerr << "sqlite import failed: " << f.error << "\n";
      return 1;
    }
    result["sqlite_seconds"] = f.seconds;
    result["sqlite_per_second"] = f.objects / f.seconds;
    result["sqlite_per_cpu_second"] = f.objects / f.cpu_seconds;
    std::error_code ec;
    auto wal = fs::file_size(dir / "entente.db-wal", ec);
    result["sqlite_db_bytes"] = fs::file_size(dir / "entente.db") + (ec ? 0 : wal);
  }
  result["rss_peak_kb"] = PeakRssKb();
  result["rss_before_import_kb"] = rss_plain;

  if (argc > 3 && *argv[3]) {
    auto db = store::Open(argv[3]);
    if (!db || !store::Migrate(**db, store::BuiltinMigrations(store::Backend::kPostgres))) {
      std::cerr << "cannot open the PostgreSQL database\n";
      return 1;
    }
    (void)(*db)->Transact([](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec("DELETE FROM intel_objects"));
      return Ok();
    });
    Figure f = ImportInto(**db, bundle);
    if (!f.error.empty()) {
      std::cerr << "postgres import failed: " << f.error << "\n";
      return 1;
    }
    result["postgres_seconds"] = f.seconds;
    result["postgres_per_second"] = f.objects / f.seconds;
    result["postgres_per_cpu_second"] = f.objects / f.cpu_seconds;
    result["rss_peak_after_postgres_kb"] = PeakRssKb();
  }
  fs::remove_all(dir);
  std::cout << result.dump() << "\n";
  return 0;
}
