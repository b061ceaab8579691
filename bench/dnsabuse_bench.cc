// Measurements for bench/run-dnsabuse.sh (prints one JSON object per run):
//   dnsabuse_bench read FILE            read(2) loop, the input's own limit
//   dnsabuse_bench parse FILE           zone reader + delegation counting
//   dnsabuse_bench day DIR              the full daily computation (ComputeDay)
//                                       on the generator's files, peak memory
//   dnsabuse_bench sql URL DIR          the same aggregation in SQL: loads the
//                                       delegated domains (with TLD and
//                                       registrar) and the feeds' registrable
//                                       domains, then GROUP BY TLD / registrar;
//                                       and, for the query alone, the same
//                                       aggregation in C++ over the same rows
//                                       already in memory (both sides then
//                                       start from loaded tables)
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dnsabuse/observatory.h"
#include "dnsabuse/zone.h"
#include "store/store.h"

using namespace entente;
using namespace entente::dnsabuse;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}

[[noreturn]] void Die(const std::string& m) {
  std::fprintf(stderr, "dnsabuse_bench: %s\n", m.c_str());
  std::exit(1);
}

IngestRequest Request(const std::string& dir) {
  IngestRequest r;
  r.day = "2024-03-01";
  r.zones = {dir + "/bench.zone"};
  r.registrations = dir + "/registrations.csv";
  r.registrars = dir + "/registrars.csv";
  for (const char* f :
       {"phishing:bench-phish:urls:/phishing.txt", "malware:bench-malware:domains:/malware.txt",
        "botnet_cc:bench-c2:csv:/botnet.csv", "spam:bench-spam:hosts:/spam.hosts"}) {
    std::string s = f;
    const size_t slash = s.find('/');
    auto spec = ParseFeedSpec(s.substr(0, slash) + dir + s.substr(slash));
    if (!spec) Die(spec.error().message);
    r.feeds.push_back(*spec);
  }
  return r;
}

int Read(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) Die("cannot open " + path);
  std::vector<char> buf(8 << 20);
  const double t0 = Now();
  std::uint64_t bytes = 0, newlines = 0;
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    bytes += static_cast<std::uint64_t>(n);
    for (const char* p = buf.data();
         (p = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(buf.data() + n - p))));
         ++p)
      ++newlines;
  }
  const double t = Now() - t0;
  close(fd);
  fmt::print("{{\"bytes\":{},\"lines\":{},\"seconds\":{:.3f}}}\n", bytes, newlines, t);
  return 0;
}

int Parse(const std::string& path) {
  DelegationCounter counter;
  std::string apex;
  bool have_apex = false;
  const double t0 = Now(), c0 = CpuSeconds();
  auto s = ReadZoneFile(path, {}, [&](const ZoneRecord& r) {
    if (!have_apex && r.type == rrtype::kSOA) {
      apex.assign(r.owner);
      have_apex = true;
    }
    counter.Add(r, apex);
  });
  const double t = Now() - t0, c = CpuSeconds() - c0;
  if (!s) Die(s.error().message);
  fmt::print(
      "{{\"bytes\":{},\"records\":{},\"delegations\":{},\"errors\":{},\"seconds\":{:.3f},\"cpu_"
      "seconds\":{:.3f}}}\n",
      s->bytes, s->records, counter.count(), s->errors, t, c);
  return 0;
}

int Day(const std::string& dir) {
  DomainNormalizer normalizer;
  const double t0 = Now(), c0 = CpuSeconds();
  auto d = ComputeDay(Request(dir), {}, normalizer, 0);
  const double t = Now() - t0, c = CpuSeconds() - c0;
  if (!d) Die(d.error().message);
  fmt::print(
      "{{\"seconds\":{:.3f},\"cpu_seconds\":{:.3f},\"peak_rss_mb\":{},\"domains\":{},\"abused\":{},"
      "\"figures\":{}}}\n",
      t, c, PeakRssMb(), d->totals["domains"].get<std::int64_t>(),
      d->totals["abused"].get<std::int64_t>(), d->figures.size());
  return 0;
}

// The rows the SQL tables hold, kept in memory as they are loaded: names back
// to back in one string, rows as (offset, length) with their columns.
struct Loaded {
  std::string names;
  struct Zone {
    std::uint32_t off, len, tld_off, tld_len;
    std::int64_t registrar;
  };
  struct Listed {
    std::uint32_t off, len;
    std::uint8_t category;
  };
  std::vector<Zone> zone;
  std::vector<Listed> listed;
  std::string_view Name(std::uint32_t off, std::uint32_t len) const {
    return std::string_view(names).substr(off, len);
  }
  std::uint32_t Add(std::string_view s) {
    const auto off = static_cast<std::uint32_t>(names.size());
    names += s;
    return off;
  }
};

struct Counts {
  std::int64_t domains = 0, abused = 0;
  std::array<std::int64_t, kCategoryCount> by_category{};
};

// The query of Sql() in C++ over the loaded rows, on two threads: the
// distinct listed domains with their categories in two flat tables of
// 16-byte slots (fingerprint, first row, categories; a fingerprint's top bit
// picks the table and the thread that fills it; names compared on equal
// fingerprints, so the answer is exact), then one pass over the delegations,
// half on each thread, counting per TLD and per registrar, merged at the end.
// Lookups are prefetched 16 rows ahead. Returns the rows (TLDs + registrars)
// and the abused domains.
struct Slot {
  std::uint64_t key = 0;
  std::uint32_t row = 0;
  std::uint8_t cats = 0;
};

std::pair<size_t, std::int64_t> Aggregate(const Loaded& in) {
  size_t cap = 1024;
  while (cap < in.listed.size()) cap *= 2;  // per table: load factor <= 1/2 of all rows
  const size_t mask = cap - 1;
  std::vector<std::uint64_t> fps(in.listed.size());
  std::vector<Slot> tables[2] = {std::vector<Slot>(cap), std::vector<Slot>(cap)};
  auto listed_name = [&](std::uint32_t r) { return in.Name(in.listed[r].off, in.listed[r].len); };
  auto probe = [&](const std::vector<Slot>& t, std::uint64_t h, std::string_view name) {
    size_t j = (h >> 1) & mask;
    while (t[j].key && !(t[j].key == h && listed_name(t[j].row) == name)) j = (j + 1) & mask;
    return j;
  };
  auto build = [&](int part) {
    const size_t n = in.listed.size();
    // Both threads fingerprint half of the rows, then fill their table.
    for (size_t i = static_cast<size_t>(part); i < n; i += 2)
      fps[i] = DelegationCounter::Fingerprint(listed_name(static_cast<std::uint32_t>(i))) | 1;
  };
  auto fill = [&](int part) {
    std::vector<Slot>& t = tables[part];
    const size_t n = in.listed.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + 16 < n && static_cast<int>(fps[i + 16] >> 63) == part)
        __builtin_prefetch(&t[(fps[i + 16] >> 1) & mask]);
      const std::uint64_t h = fps[i];
      if (static_cast<int>(h >> 63) != part) continue;
      const size_t j = probe(t, h, listed_name(static_cast<std::uint32_t>(i)));
      if (!t[j].key) t[j] = {h, static_cast<std::uint32_t>(i), 0};
      t[j].cats |= static_cast<std::uint8_t>(1u << in.listed[i].category);
    }
  };
  struct Part {
    std::unordered_map<std::string_view, Counts> tlds;
    std::unordered_map<std::int64_t, Counts> registrars;
    std::int64_t abused = 0;
  };
  Part parts[2];
  auto count = [&](int part) {
    Part& out = parts[part];
    const size_t begin = part == 0 ? 0 : in.zone.size() / 2;
    const size_t end = part == 0 ? in.zone.size() / 2 : in.zone.size();
    std::vector<std::uint64_t> ahead(end - begin);
    for (size_t i = begin; i < end; ++i)
      ahead[i - begin] =
          DelegationCounter::Fingerprint(in.Name(in.zone[i].off, in.zone[i].len)) | 1;
    std::string_view last_tld;
    Counts* tld = nullptr;
    for (size_t i = begin; i < end; ++i) {
      if (i + 16 < end) {
        const std::uint64_t a = ahead[i + 16 - begin];
        __builtin_prefetch(&tables[a >> 63][(a >> 1) & mask]);
      }
      const Loaded::Zone& z = in.zone[i];
      const std::string_view t = in.Name(z.tld_off, z.tld_len);
      if (!tld || t != last_tld) {
        tld = &out.tlds[t];
        last_tld = t;
      }
      Counts& reg = out.registrars[z.registrar];
      ++tld->domains;
      ++reg.domains;
      const std::uint64_t h = ahead[i - begin];
      const std::vector<Slot>& table = tables[h >> 63];
      const size_t j = probe(table, h, in.Name(z.off, z.len));
      if (!table[j].key) continue;
      ++out.abused;
      ++tld->abused;
      ++reg.abused;
      for (int c = 0; c < kCategoryCount; ++c)
        if (table[j].cats & (1u << c)) {
          ++tld->by_category[static_cast<size_t>(c)];
          ++reg.by_category[static_cast<size_t>(c)];
        }
    }
  };
  {
    std::thread helper([&] { build(1); });
    build(0);
    helper.join();
  }
  {
    std::thread helper([&] { fill(1); });
    fill(0);
    helper.join();
  }
  {
    std::thread helper([&] { count(1); });
    count(0);
    helper.join();
  }
  auto merge = [](Counts& a, const Counts& b) {
    a.domains += b.domains;
    a.abused += b.abused;
    for (size_t c = 0; c < a.by_category.size(); ++c) a.by_category[c] += b.by_category[c];
  };
  for (auto& [k, v] : parts[1].tlds) merge(parts[0].tlds[k], v);
  for (auto& [k, v] : parts[1].registrars) merge(parts[0].registrars[k], v);
  return {parts[0].tlds.size() + parts[0].registrars.size(), parts[0].abused + parts[1].abused};
}

int Sql(const std::string& url, const std::string& dir) {
  auto db = store::Open(url);
  if (!db) Die(db.error().message);
  store::Database& d = **db;
  const bool pg = d.backend() == store::Backend::kPostgres;
  auto check = [](Status s) {
    if (!s) Die(s.error().message);
  };
  check(d.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_CHECK(
        tx.ExecScript("DROP TABLE IF EXISTS bench_zd; DROP TABLE IF EXISTS bench_fl;"
                      "CREATE TABLE bench_zd (domain TEXT NOT NULL, tld TEXT NOT NULL, registrar "
                      "BIGINT NOT NULL);"
                      "CREATE TABLE bench_fl (domain TEXT NOT NULL, category INTEGER NOT NULL, "
                      "feed INTEGER NOT NULL);"));
    return Ok();
  }));
  // The inputs, read by the project's readers (SQL has no zone parser and no
  // Public Suffix List): delegated domains with their registrar, and the
  // feeds' distinct registrable domains.
  IngestRequest req = Request(dir);
  DomainNormalizer normalizer;
  auto regtext = ReadInputFile(req.registrations, std::uint64_t{64} << 30);
  if (!regtext) Die(regtext.error().message);
  RegistrationData regs = ParseRegistrations(*regtext, nullptr, normalizer);
  regtext->clear();
  regtext->shrink_to_fit();
  Loaded loaded;
  const double load0 = Now();
  constexpr size_t kBatch = 500;
  std::vector<std::string> batch;
  auto flush_zd = [&](store::Tx& tx) -> Status {
    if (batch.empty()) return Ok();
    std::string sql = "INSERT INTO bench_zd (domain, tld, registrar) VALUES ";
    store::Params p;
    for (size_t i = 0; i < batch.size(); ++i) {
      sql += i ? ",(?,?,?)" : "(?,?,?)";
      const Registration* r = regs.Find(batch[i]);
      const std::string_view tld = TldOf(batch[i]);
      p.emplace_back(batch[i]);
      p.emplace_back(std::string(tld));
      p.emplace_back(std::int64_t{r ? r->registrar : 0});
      const std::uint32_t off = loaded.Add(batch[i]);
      loaded.zone.push_back({off, static_cast<std::uint32_t>(batch[i].size()),
                             off + static_cast<std::uint32_t>(batch[i].size() - tld.size()),
                             static_cast<std::uint32_t>(tld.size()), r ? r->registrar : 0});
    }
    batch.clear();
    ENTENTE_TRY(tx.Exec(sql, p));
    return Ok();
  };
  check(d.Transact([&](store::Tx& tx) -> Status {
    DelegationCounter counter;
    std::string apex;
    bool have_apex = false;
    Status failed = Ok();
    auto s = ReadZoneFile(req.zones[0], {}, [&](const ZoneRecord& r) {
      if (!have_apex && r.type == rrtype::kSOA) {
        apex.assign(r.owner);
        have_apex = true;
      }
      if (!counter.Add(r, apex) || !failed) return;
      batch.emplace_back(r.owner);
      if (batch.size() == kBatch) failed = flush_zd(tx);
    });
    if (!s) return std::unexpected(s.error());
    ENTENTE_CHECK(failed);
    ENTENTE_CHECK(flush_zd(tx));
    int fi = 0;
    for (const FeedSpec& spec : req.feeds) {
      auto f = ReadFeed(spec, normalizer);
      if (!f) return std::unexpected(f.error());
      for (size_t i = 0; i < f->entries.size(); i += kBatch) {
        std::string sql = "INSERT INTO bench_fl (domain, category, feed) VALUES ";
        store::Params p;
        for (size_t k = i; k < std::min(f->entries.size(), i + kBatch); ++k) {
          sql += k > i ? ",(?,?,?)" : "(?,?,?)";
          p.emplace_back(f->entries[k].registrable);
          p.emplace_back(std::int64_t{static_cast<int>(spec.category)});
          loaded.listed.push_back({loaded.Add(f->entries[k].registrable),
                                   static_cast<std::uint32_t>(f->entries[k].registrable.size()),
                                   static_cast<std::uint8_t>(spec.category)});
          p.emplace_back(std::int64_t{fi});
        }
        ENTENTE_TRY(tx.Exec(sql, p));
      }
      ++fi;
    }
    ENTENTE_CHECK(
        tx.ExecScript("CREATE INDEX bench_zd_domain ON bench_zd(domain);"
                      "CREATE INDEX bench_fl_domain ON bench_fl(domain);"));
    return Ok();
  }));
  if (pg)
    check(d.Transact(
        [](store::Tx& tx) { return tx.ExecScript("ANALYZE bench_zd; ANALYZE bench_fl;"); }));
  const double load = Now() - load0;
  // The aggregation: domains, abused domains and abused per category, per
  // TLD and per registrar (what ComputeDay does while it reads the files).
  const std::string abused =
      "(SELECT domain, MAX(CASE WHEN category = 0 THEN 1 ELSE 0 END) AS phishing, "
      "MAX(CASE WHEN category = 1 THEN 1 ELSE 0 END) AS malware, "
      "MAX(CASE WHEN category = 2 THEN 1 ELSE 0 END) AS botnet_cc, "
      "MAX(CASE WHEN category = 3 THEN 1 ELSE 0 END) AS spam FROM bench_fl GROUP BY domain)";
  const double q0 = Now(), qc0 = CpuSeconds();
  size_t rows = 0;
  std::int64_t total_abused = 0;
  for (const char* key : {"tld", "registrar"}) {
    auto r = d.Query(
        fmt::format("SELECT z.{0}, COUNT(*), COUNT(a.domain), SUM(a.phishing), SUM(a.malware), "
                    "SUM(a.botnet_cc), SUM(a.spam) FROM bench_zd z LEFT JOIN {1} a "
                    "ON a.domain = z.domain GROUP BY z.{0}",
                    key, abused));
    if (!r) Die(r.error().message);
    rows += r->size();
    if (std::string(key) == "tld")
      for (const auto& row : *r) total_abused += row.Int(2);
  }
  const double query = Now() - q0, query_cpu = CpuSeconds() - qc0;
  // The same aggregation in C++ over the same rows, also already loaded
  // (best of three: the first run pays the page faults of its tables).
  double agg = 1e9, agg_cpu = 1e9;
  std::pair<size_t, std::int64_t> mine{};
  for (int run = 0; run < 3; ++run) {
    const double a0 = Now(), c0 = CpuSeconds();
    mine = Aggregate(loaded);
    agg = std::min(agg, Now() - a0);
    agg_cpu = std::min(agg_cpu, CpuSeconds() - c0);
  }
  if (mine.first != rows || mine.second != total_abused)
    Die(fmt::format("C++ aggregation disagrees with SQL: {} rows / {} abused vs {} / {}",
                    mine.first, mine.second, rows, total_abused));
  check(d.Transact(
      [](store::Tx& tx) { return tx.ExecScript("DROP TABLE bench_zd; DROP TABLE bench_fl;"); }));
  fmt::print(
      "{{\"backend\":\"{}\",\"load_seconds\":{:.3f},\"query_seconds\":{:.3f},\"rows\":{},"
      "\"abused\":{},\"query_cpu_seconds_in_process\":{:.3f},\"cpp_aggregate_seconds\":{:.3f},"
      "\"cpp_aggregate_cpu_seconds\":{:.3f}}}\n",
      pg ? "postgresql" : "sqlite", load, query, rows, total_abused, query_cpu, agg, agg_cpu);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "read") return Read(a[1]);
  if (a.size() == 2 && a[0] == "parse") return Parse(a[1]);
  if (a.size() == 2 && a[0] == "day") return Day(a[1]);
  if (a.size() == 3 && a[0] == "sql") return Sql(a[1], a[2]);
  std::fprintf(stderr, "usage: dnsabuse_bench read|parse FILE | day DIR | sql URL DIR\n");
  return 2;
}
