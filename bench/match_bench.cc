// Benchmarks of the matching engine (not tests). Driven by bench/run-match.sh:
//
//   match_bench index N            build an index of N synthetic mixed
//                                  indicators: build time, bytes per
//                                  indicator, lookups/s per kind on one core
//   match_bench gen DIR MB N       N domain indicators (DIR/domains.txt) and an
//                                  Unbound query log of about MB megabytes
//                                  (DIR/queries.log) with planted hits
//   match_bench scan LIST LOG T [generic]
//                                  scan LOG against the plain list LIST with T
//                                  worker threads (0: all cores); "generic"
//                                  turns the BIND/Unbound fast path off
//   match_bench rpz LIST OUT       write the RPZ zone for LIST
//
// Each prints one JSON object on stdout.
#include <fmt/format.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "match/export.h"
#include "match/index.h"
#include "match/indicator_io.h"
#include "match/scan.h"

using namespace entente::match;
using Clock = std::chrono::steady_clock;

namespace {

struct Rng {
  std::uint64_t s;
  std::uint64_t Next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::size_t Below(std::size_t n) { return static_cast<std::size_t>(Next() % n); }
};

const char* kTlds[] = {"com", "net", "org", "info", "biz", "ru", "cn",     "top",  "xyz",  "io",
                       "de",  "fr",  "uk",  "es",   "br",  "in", "online", "site", "club", "app"};

std::string Label(Rng& r, std::size_t min, std::size_t max) {
  std::size_t n = min + r.Below(max - min + 1);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('a' + r.Below(26));
  return s;
}

// Listed names use the "q" consonant-free alphabet trick: they start with a
// digit, so random unlisted labels (letters only) can still contain them
// only by accident at a label start.
std::string ListedDomain(Rng& r) {
  return fmt::format("{}{}.{}", r.Below(10), Label(r, 6, 13), kTlds[r.Below(20)]);
}

std::string Hex(Rng& r, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "0123456789abcdef"[r.Below(16)];
  return s;
}

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU time of this process: on a shared machine the per-core figures are
// measured in CPU seconds, not wall-clock seconds.
double CpuNow() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

std::vector<Indicator> Synthetic(std::size_t n, Rng& r) {
  std::vector<Indicator> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    Indicator& in = v[i];
    in.id = fmt::format("ind-{}", i);
    in.tlp = static_cast<Tlp>(r.Below(4));
    in.community = fmt::format("community-{}", r.Below(8));
    in.confidence = static_cast<int>(r.Below(101));
    std::size_t k = r.Below(100);
    if (k < 50) {
      in.kind = Kind::kDomain;
      in.value = ListedDomain(r);
      in.subdomains = r.Below(2) == 0;
    } else if (k < 70) {
      in.kind = Kind::kIp;
      in.value =
          fmt::format("{}.{}.{}.{}", r.Below(223) + 1, r.Below(256), r.Below(256), r.Below(256));
      if (r.Below(10) == 0) in.value += "/24";
    } else if (k < 75) {
      in.kind = Kind::kIp;
      in.value =
          fmt::format("2001:db8:{:x}:{:x}::{:x}", r.Below(65536), r.Below(65536), r.Below(65536));
    } else if (k < 85) {
      in.kind = Kind::kUrl;
      in.value =
          fmt::format("http://{}/{}/{}.php", ListedDomain(r), Label(r, 3, 8), Label(r, 4, 10));
    } else if (k < 90) {
      in.kind = Kind::kEmail;
      in.value = fmt::format("{}@{}", Label(r, 4, 10), ListedDomain(r));
    } else {
      int which = static_cast<int>(r.Below(3));
      in.kind = which == 0 ? Kind::kMd5 : which == 1 ? Kind::kSha1 : Kind::kSha256;
      in.value = Hex(r, which == 0 ? 32 : which == 1 ? 40 : 64);
    }
  }
  return v;
}

template <class F>
double PerSecond(std::size_t n_queries, F f) {
  // Repeat until at least 0.3 s have passed.
  std::size_t done = 0;
  double t = CpuNow();
  do {
    for (std::size_t i = 0; i < n_queries; ++i) f(i);
    done += n_queries;
  } while (CpuNow() - t < 0.3);
  return done / (CpuNow() - t);
}

int IndexBench(std::size_t n) {
  Rng r{42};
  auto t0 = Clock::now();
  auto in = Synthetic(n, r);
  double gen_s = Since(t0);
  std::size_t raw = 0;
  for (auto& i : in) raw += i.value.size();
  auto t1 = Clock::now();
  double c1 = CpuNow();
  auto ix = Index::Build(in).value();
  double build_s = Since(t1), build_cpu_s = CpuNow() - c1;
  const BuildStats& st = ix->stats();
  nlohmann::json out = {{"indicators", n},
                        {"generate_s", gen_s},
                        {"build_s", build_s},
                        {"build_cpu_s", build_cpu_s},
                        {"raw_value_bytes", raw},
                        {"lookup_bytes", st.key_bytes + st.table_bytes},
                        {"filter_bytes", st.filter_bytes},
                        {"meta_bytes", st.meta_bytes},
                        {"id_bytes", st.id_bytes},
                        {"total_bytes", st.TotalBytes()},
                        {"bytes_per_indicator", static_cast<double>(st.TotalBytes()) / n},
                        {"lookup_bytes_per_value_byte", st.LookupBytesPerValueByte()}};
  // Queries: for each kind, half listed values, half fresh ones.
  Matcher m(ix);
  std::vector<std::string> dom, url, mail, hash;
  std::vector<IpPrefix> ip;
  Rng q{7};
  for (auto& i : in) {
    if (i.kind == Kind::kDomain && dom.size() < 200000)
      dom.push_back((dom.size() % 4 == 0 ? "www." : "") + i.value);
    if (i.kind == Kind::kUrl && url.size() < 100000) url.push_back(NormalizeUrl(i.value).value());
    if (i.kind == Kind::kEmail && mail.size() < 100000)
      mail.push_back(NormalizeEmail(i.value).value());
    if ((i.kind == Kind::kSha256) && hash.size() < 100000)
      hash.push_back(ParseHexHash(i.value).value());
    if (i.kind == Kind::kIp && ip.size() < 100000 && i.value.find(':') == std::string::npos)
      ip.push_back(ParseIp(i.value).value());
  }
  std::size_t listed = dom.size();
  for (std::size_t k = 0; k < listed; ++k) dom.push_back(Label(q, 3, 8) + "." + ListedDomain(q));
  for (std::size_t k = 0, e = url.size(); k < e; ++k)
    url.push_back(NormalizeUrl(fmt::format("http://{}/x", ListedDomain(q))).value());
  for (std::size_t k = 0, e = mail.size(); k < e; ++k)
    mail.push_back(NormalizeEmail(Label(q, 4, 8) + "@" + ListedDomain(q)).value());
  for (std::size_t k = 0, e = hash.size(); k < e; ++k)
    hash.push_back(ParseHexHash(Hex(q, 64)).value());
  for (std::size_t k = 0, e = ip.size(); k < e; ++k)
    ip.push_back(ParseIp(fmt::format("{}.{}.{}.{}", q.Below(223) + 1, q.Below(256), q.Below(256),
                                     q.Below(256)))
                     .value());
  std::size_t hits = 0;
  out["lookups_per_s"] = {
      {"domain",
       PerSecond(dom.size(), [&](std::size_t i) { hits += m.MatchDomain(dom[i]).size(); })},
      {"ipv4", PerSecond(ip.size(), [&](std::size_t i) { hits += m.MatchIp(ip[i]).size(); })},
      {"url", PerSecond(url.size(), [&](std::size_t i) { hits += m.MatchUrl(url[i]).size(); })},
      {"email",
       PerSecond(mail.size(), [&](std::size_t i) { hits += m.MatchEmail(mail[i]).size(); })},
      {"sha256",
       PerSecond(hash.size(), [&](std::size_t i) { hits += m.MatchHash(hash[i]).size(); })},
      {"domain_unnormalised_text",
       PerSecond(dom.size(), [&](std::size_t i) { hits += m.Match(dom[i]).value().size(); })},
  };
  out["hits_seen"] = hits;
  std::cout << out.dump() << "\n";
  return 0;
}

int Gen(const std::string& dir, std::size_t mb, std::size_t n) {
  Rng r{1234};
  std::vector<std::string> listed;
  listed.reserve(n);
  {
    std::ofstream f(dir + "/domains.txt");
    for (std::size_t i = 0; i < n; ++i) {
      listed.push_back(ListedDomain(r));
      f << listed.back() << "\n";
    }
  }
  std::FILE* log = std::fopen((dir + "/queries.log").c_str(), "w");
  if (!log) return 1;
  std::size_t bytes = 0, lines = 0, planted = 0, substring_only = 0;
  const char* types[] = {"A", "AAAA", "HTTPS", "MX", "TXT"};
  std::string line;
  while (bytes < mb * 1000000) {
    std::size_t k = r.Below(1000);
    std::string name;
    if (k < 10) {  // 1%: a listed name or a subdomain of one
      const std::string& d = listed[r.Below(n)];
      name = k < 5 ? d : Label(r, 2, 6) + "." + d;
      ++planted;
    } else if (k < 11) {  // 0.1%: a listed name inside a longer label (substring, not a match)
      name = "x" + listed[r.Below(n)];
      ++substring_only;
    } else {
      name = fmt::format("{}.{}.{}", Label(r, 2, 10), Label(r, 4, 12), kTlds[r.Below(20)]);
    }
    line =
        fmt::format("[{}] unbound[{}:0] info: 10.{}.{}.{} {}. {} IN\n", 1764669600 + lines / 1000,
                    4242, r.Below(256), r.Below(256), r.Below(256), name, types[r.Below(5)]);
    std::fwrite(line.data(), 1, line.size(), log);
    bytes += line.size();
    ++lines;
  }
  std::fclose(log);
  std::cout << nlohmann::json{{"bytes", bytes},
                              {"lines", lines},
                              {"planted_hits", planted},
                              {"planted_substring_only", substring_only},
                              {"indicators", n}}
                   .dump()
            << "\n";
  return 0;
}

int Scan(const std::string& list, const std::string& logfile, int threads, bool fast) {
  auto t0 = Clock::now();
  auto loaded = LoadIndicatorFile(list, "plain", {}).value();
  auto ix = Index::Build(loaded.indicators).value();
  double build_s = Since(t0);
  std::size_t raw = 0;
  for (auto& i : loaded.indicators) raw += i.value.size();
  loaded.indicators.clear();
  loaded.indicators.shrink_to_fit();
  std::FILE* sink = std::fopen("/dev/null", "w");
  ScanOptions o;
  o.threads = threads;
  o.fast_paths = fast;
  auto t1 = Clock::now();
  double c1 = CpuNow();
  auto st = ScanFile(logfile, ix, o, sink).value();
  double scan_s = Since(t1), scan_cpu_s = CpuNow() - c1;
  std::fclose(sink);
  std::cout << nlohmann::json{{"load_and_build_s", build_s},
                              {"scan_s", scan_s},
                              {"scan_cpu_s", scan_cpu_s},
                              {"bytes", st.bytes},
                              {"mb_per_s", st.bytes / 1e6 / scan_s},
                              {"lines", st.lines},
                              {"hit_lines", st.hit_lines},
                              {"malformed", st.malformed},
                              {"raw_value_bytes", raw},
                              {"lookup_bytes", ix->stats().key_bytes + ix->stats().table_bytes},
                              {"filter_bytes", ix->stats().filter_bytes},
                              {"total_index_bytes", ix->stats().TotalBytes()}}
                   .dump()
            << "\n";
  return 0;
}

int Rpz(const std::string& list, const std::string& out) {
  auto loaded = LoadIndicatorFile(list, "plain", {}).value();
  auto t0 = Clock::now();
  ExportOptions o;
  ExportStats st;
  std::string zone = ExportRpz(loaded.indicators, o, st).value();
  std::ofstream(out) << zone;
  double s = Since(t0);
  std::cout << nlohmann::json{{"rpz_s", s}, {"written", st.written}, {"bytes", zone.size()}}.dump()
            << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "index") return IndexBench(std::stoull(a[1]));
  if (a.size() == 4 && a[0] == "gen") return Gen(a[1], std::stoull(a[2]), std::stoull(a[3]));
  if ((a.size() == 4 || a.size() == 5) && a[0] == "scan")
    return Scan(a[1], a[2], std::stoi(a[3]), a.size() == 4 || a[4] != "generic");
  if (a.size() == 3 && a[0] == "rpz") return Rpz(a[1], a[2]);
  std::cerr << "usage: match_bench index N | gen DIR MB N | scan LIST LOG THREADS [generic] | rpz "
               "LIST OUT\n";
  return 2;
}
