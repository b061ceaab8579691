// Correlation at scale (bench/run-intel.sh prints it; issue 7: "correlation
// of 10 M observables with heavy repetition in bounded memory").
//
//   intel_correlation_bench OBSERVABLES [QUERIES]
//
// Loads OBSERVABLES postings (10 per object, so OBSERVABLES/10 objects of 50
// authors in 20 communities) into a fresh SQLite database with the schema of
// the migrations, values drawn with heavy repetition: 10 % of the postings
// name one value (a million times at 10 M), 40 % a set of 1,000 hot values,
// the rest mostly distinct; a tenth of them are IPv4 addresses inside a few
// /16s so that CIDR containment has work to do. Then, as a reader in 5 of
// the communities, times intel::Correlate (scan limit 10,000) for the
// objects holding the hottest value and for QUERIES random objects, beside
// what a user would otherwise run on the same table: the plain self-join
// counting every other object that shares a value, with no cap. Prints one
// JSON object: load time, per-query times (CPU and wall), peak RSS.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include "intel/access.h"
#include "intel/correlation.h"
#include "store/store.h"

using namespace entente;
using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

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

struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();
  double Wall() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  }
  double Cpu() const { return CpuSeconds() - cpu; }
};

void Check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    std::cerr << what << ": " << sqlite3_errmsg(db) << "\n";
    std::exit(1);
  }
}

std::string IndicatorId(std::int64_t n) {
  return fmt::format("indicator--{:08x}-0000-4000-8000-{:012x}", static_cast<unsigned>(n % 65521),
                     n);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: intel_correlation_bench OBSERVABLES [QUERIES]\n";
    return 2;
  }
  const std::int64_t observables = std::strtoll(argv[1], nullptr, 10);
  const int queries = argc > 2 ? std::atoi(argv[2]) : 200;
  const std::int64_t objects = std::max<std::int64_t>(1, observables / 10);
  fs::path dir = fs::temp_directory_path() / fmt::format("entente-corr-bench-{}", getpid());
  fs::create_directories(dir);
  const fs::path path = dir / "entente.db";
  {
    auto db = store::Open("sqlite:" + path.string());
    if (!db || !store::Migrate(**db, store::BuiltinMigrations(store::Backend::kSqlite))) {
      std::cerr << "cannot create the database\n";
      return 1;
    }
  }
  Json result = {{"observables", observables}, {"objects", objects}};
  // ---- load (raw sqlite3, one transaction) ----
  std::mt19937_64 rng(7);
  std::int64_t hot_object = 0;
  {
    Timer t;
    sqlite3* db = nullptr;
    Check(sqlite3_open(path.c_str(), &db), db, "open");
    Check(
        sqlite3_exec(
            db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN",
            nullptr, nullptr, nullptr),
        db, "begin");
    sqlite3_stmt* obj = nullptr;
    sqlite3_stmt* post = nullptr;
    Check(sqlite3_prepare_v2(
              db,
              "INSERT INTO intel_objects (seq, stix_id, version, type, "
              "created_by_ref, owner_org, community_id, tlp, added_at, content) "
              "VALUES (?, ?, '2024-01-01T00:00:00.000000000Z', 'indicator', NULL, ?, ?, "
              "'green', 0, ?)",
              -1, &obj, nullptr),
          db, "prepare objects");
    Check(sqlite3_prepare_v2(db,
                             "INSERT OR IGNORE INTO intel_observables (kind, value, obj_seq, "
                             "range_lo, range_hi) VALUES (?, ?, ?, ?, ?)",
                             -1, &post, nullptr),
          db, "prepare postings");
    std::uniform_real_distribution<double> u(0, 1);
    for (std::int64_t i = 1; i <= objects; ++i) {
      std::string id = IndicatorId(i);
      std::string owner = fmt::format("org-{}", i % 50);
      std::string community = fmt::format("c{}", i % 20);
      sqlite3_bind_int64(obj, 1, i);
      sqlite3_bind_text(obj, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(obj, 3, owner.data(), static_cast<int>(owner.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(obj, 4, community.data(), static_cast<int>(community.size()),
                        SQLITE_TRANSIENT);
      // The object's content names its observables in its pattern, as an
      // imported indicator does: Correlate reads an object's keys from it.
      std::vector<intel::Observable> values;
      for (int k = 0; k < 10; ++k) {
        const double x = u(rng);
        intel::Observable o;
        if (x < 0.10) {
          o = {"domain-name", "hot.example", ""};
          // The first object holding it that the reader below may read.
          if (!hot_object && (i % 50 == 1 || (i % 20 >= 1 && i % 20 <= 5))) hot_object = i;
        } else if (x < 0.50) {
          o = {"domain-name", fmt::format("warm{}.example", rng() % 1000), ""};
        } else if (x < 0.60) {
          o = {"ipv4-addr", fmt::format("10.{}.{}.{}", rng() % 4, rng() % 256, rng() % 256), ""};
        } else {
          o = {"domain-name", fmt::format("d{}.example", rng() % (observables + 1)), ""};
        }
        values.push_back(std::move(o));
      }
      std::string pattern = "[";
      for (const auto& o : values)
        pattern +=
            fmt::format("{}{}:value = '{}'", pattern.size() > 1 ? " OR " : "", o.type, o.value);
      pattern += "]";
      const std::string content =
          Json{{"type", "indicator"}, {"pattern_type", "stix"}, {"pattern", pattern}}.dump();
      sqlite3_bind_text(obj, 5, content.data(), static_cast<int>(content.size()), SQLITE_TRANSIENT);
      Check(sqlite3_step(obj), db, "insert object");
      sqlite3_reset(obj);
      for (const auto& o : values) {
        auto key = intel::ObservableKeyOf(o);
        sqlite3_bind_text(post, 1, key->kind.data(), static_cast<int>(key->kind.size()),
                          SQLITE_TRANSIENT);
        sqlite3_bind_text(post, 2, key->value.data(), static_cast<int>(key->value.size()),
                          SQLITE_TRANSIENT);
        sqlite3_bind_int64(post, 3, i);
        if (key->range_lo)
          sqlite3_bind_text(post, 4, key->range_lo->data(), static_cast<int>(key->range_lo->size()),
                            SQLITE_TRANSIENT);
        else
          sqlite3_bind_null(post, 4);
        if (key->range_hi)
          sqlite3_bind_text(post, 5, key->range_hi->data(), static_cast<int>(key->range_hi->size()),
                            SQLITE_TRANSIENT);
        else
          sqlite3_bind_null(post, 5);
        Check(sqlite3_step(post), db, "insert posting");
        sqlite3_reset(post);
      }
    }
    sqlite3_finalize(obj);
    sqlite3_finalize(post);
    Check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
    sqlite3_close(db);
    result["load_seconds"] = t.Wall();
    result["load_cpu_seconds"] = t.Cpu();
  }
  result["rss_after_load_kb"] = PeakRssKb();
  // A network object to look at containment: 10.1.0.0/16.
  // ---- queries ----
  auto db = store::Open("sqlite:" + path.string());
  if (!db) return 1;
  intel::Reader reader{"org-1", {"c1", "c2", "c3", "c4", "c5"}};
  // The reader reads objects of c1..c5 (i % 20 in 1..5) and those it owns.
  auto readable = [](std::int64_t i) { return i % 50 == 1 || (i % 20 >= 1 && i % 20 <= 5); };
  while (hot_object && !readable(hot_object)) ++hot_object;  // nearest readable
  std::vector<std::int64_t> sample;
  std::uniform_int_distribution<std::int64_t> pick(1, objects);
  while (static_cast<int>(sample.size()) < queries) {
    auto i = pick(rng);
    if (readable(i)) sample.push_back(i);
  }
  intel::CorrelationOptions options;  // limit 20, scan 10,000
  auto run_entente = [&](std::int64_t object, size_t* found) {
    auto c = intel::Correlate(**db, reader, IndicatorId(object), options);
    if (!c) {
      std::cerr << "correlate: " << c.error().ToString() << "\n";
      std::exit(1);
    }
    for (const auto& g : *c) *found += g.matches.size();
  };
  // What a user would otherwise run: every other object sharing a value, counted, no cap.
  auto run_plain = [&](std::int64_t object, std::int64_t* pairs) {
    auto rows = (*db)->Query(
        "SELECT COUNT(*) FROM intel_observables a JOIN intel_observables b ON b.kind = a.kind AND "
        "b.value = a.value AND b.obj_seq <> a.obj_seq WHERE a.obj_seq = ?",
        {object});
    if (!rows) std::exit(1);
    *pairs += (*rows)[0].Int(0);
  };
  {
    size_t found = 0;
    Timer t;
    run_entente(hot_object, &found);
    result["hot_entente_seconds"] = t.Wall();
    result["hot_entente_cpu_seconds"] = t.Cpu();
    result["hot_entente_matches"] = found;
  }
  {
    std::int64_t pairs = 0;
    Timer t;
    run_plain(hot_object, &pairs);
    result["hot_plain_seconds"] = t.Wall();
    result["hot_plain_cpu_seconds"] = t.Cpu();
    result["hot_plain_pairs"] = pairs;
  }
  {
    size_t found = 0;
    Timer t;
    for (auto i : sample) run_entente(i, &found);
    result["sample_entente_seconds"] = t.Wall();
    result["sample_entente_cpu_seconds"] = t.Cpu();
    result["sample_entente_matches"] = found;
  }
  {
    // The uncapped self-join costs about as many rows as the hot value has
    // postings per query: 20 of the sample objects only.
    std::int64_t pairs = 0;
    Timer t;
    const size_t plain_queries = std::min<size_t>(sample.size(), 20);
    for (size_t q = 0; q < plain_queries; ++q) run_plain(sample[q], &pairs);
    result["sample_plain_queries"] = plain_queries;
    result["sample_plain_seconds"] = t.Wall();
    result["sample_plain_cpu_seconds"] = t.Cpu();
    result["sample_plain_pairs"] = pairs;
  }
  result["queries"] = queries;
  result["rss_peak_kb"] = PeakRssKb();
  std::error_code ec;
  result["db_bytes"] = fs::file_size(path, ec);
  db->reset();
  fs::remove_all(dir);
  std::cout << result.dump() << "\n";
  return 0;
}
