// The scanner's fast path for BIND and Unbound query logs (FastQueryName,
// batched and prefetched domain matching) must give exactly the answers of
// the generic reader: the same hits in the same order, the same counts and
// the same malformed lines. Each test scans generated logs both ways and
// compares everything the scan writes and counts.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "match/index.h"
#include "match/normalize.h"
#include "match/readers.h"
#include "match/scan.h"

namespace entente::match {
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

std::string Label(Rng& r) {
  std::string s;
  for (std::size_t i = 0, n = 1 + r.Below(9); i < n; ++i) s += static_cast<char>('a' + r.Below(26));
  return s;
}

struct Fixture {
  std::vector<std::string> listed;
  std::shared_ptr<const Index> index;
};

Fixture MakeIndex(Rng& r) {
  Fixture f;
  std::vector<Indicator> in;
  for (int i = 0; i < 400; ++i) {
    Indicator x;
    x.id = "ind-" + std::to_string(i);
    // One to four labels, so that exact and subdomain probes of several
    // lengths are all exercised.
    std::string d = Label(r);
    for (std::size_t k = 0, n = r.Below(4); k < n; ++k) d += "." + Label(r);
    x.value = d;
    x.subdomains = r.Below(2) == 0;
    x.community = "c" + std::to_string(r.Below(3));
    x.confidence = static_cast<int>(r.Below(101)) - 1;
    f.listed.push_back(d);
    in.push_back(x);
    if (i % 50 == 0) {  // two indicators on one key
      x.id += "-bis";
      x.subdomains = !x.subdomains;
      in.push_back(x);
    }
  }
  Indicator re;
  re.id = "regex";
  re.kind = Kind::kRegex;
  re.value = "^zz[a-z]*\\.";
  in.push_back(re);
  f.index = Index::Build(in).value();
  return f;
}

// A query name: listed, below a listed name, unlisted, or odd (upper case,
// trailing dot or not, invalid bytes, Punycode, empty labels, too long).
std::string Name(Rng& r, const Fixture& f) {
  std::size_t k = r.Below(20);
  std::string n;
  if (k < 5)
    n = f.listed[r.Below(f.listed.size())];
  else if (k < 9)
    n = Label(r) + "." + f.listed[r.Below(f.listed.size())];
  else if (k < 10)
    n = "x" + f.listed[r.Below(f.listed.size())];
  else if (k < 11)
    n = "ZZ" + Label(r) + ".Example.COM";
  else if (k < 12)
    n = "xn--nxasmq6b." + Label(r);
  else if (k < 13)
    n = "xn--zz." + Label(r);  // invalid Punycode
  else if (k < 14)
    n = Label(r) + "..bad";
  else if (k < 15)
    n = Label(r) + "_x!y.test";
  else if (k < 16)
    n = std::string(70, 'a') + ".test";
  else if (k < 17)
    n = "caf\xc3\xa9." + Label(r);
  else
    n = Label(r) + "." + Label(r) + ".com";
  if (r.Below(3) != 0 && !n.empty()) n += '.';
  return n;
}

std::string UnboundLog(Rng& r, const Fixture& f, int lines) {
  std::string log;
  for (int i = 0; i < lines; ++i) {
    std::string sp = r.Below(10) == 0 ? "\t " : " ";
    std::string ip = r.Below(5) == 0 ? "2001:db8::1" : "10.0.0." + std::to_string(r.Below(256));
    std::size_t k = r.Below(40);
    if (k == 0)
      log += "[1700000000] unbound[1:0] info: start of service (unbound 1.17.1).";
    else if (k == 1)
      log += "[1700000000] unbound[1:0] info: " + ip + " " + Name(r, f) + " A";  // 3 fields
    else if (k == 2)
      log += "[1700000000] unbound[1:0] info: " + ip + " " + Name(r, f) + " A IN extra";
    else if (k == 3)
      log += "garbage line";
    else if (k == 4)
      log += "";
    else if (k == 5)
      log += "[1700000000] unbound[1:0] info: notanip " + Name(r, f) + " A IN";
    else
      log += "[1700000000] unbound[1:0] info:" + sp + ip + sp + Name(r, f) + sp + "AAAA" + sp +
             "IN" + (r.Below(8) == 0 ? " " : "");
    if (r.Below(10) == 0) log += '\r';
    log += '\n';
  }
  return log;
}

std::string BindLog(Rng& r, const Fixture& f, int lines) {
  std::string log;
  for (int i = 0; i < lines; ++i) {
    std::size_t k = r.Below(40);
    std::string name = Name(r, f);
    if (k == 0)
      log += "02-Dec-2026 10:00:00.000 client @0x1 192.0.2.1#5353 (x): query: " + name + " IN";
    else if (k == 1)
      log += "02-Dec-2026 10:00:00.000 client @0x1 192.0.2.1#5353 (x): no query here";
    else if (k == 2)
      log += "02-Dec-2026 10:00:00.000 general: info: zone loaded";
    else
      log += "02-Dec-2026 10:00:00.000 queries: info: client @0x7f 192.0.2.1#53211 (" + name +
             "): query: " + name + " IN A +E(0) (192.0.2.53)";
    if (r.Below(10) == 0) log += '\r';
    if (i + 1 < lines || r.Below(2) == 0) log += '\n';  // sometimes truncated
  }
  return log;
}

struct Scan {
  ScanStats stats;
  std::string out;
};

Scan ScanLog(std::string_view data, const Fixture& f, bool fast, int threads, std::size_t chunk,
             OutFormat fmt, LogFormat format) {
  ScanOptions o;
  o.auto_format = false;
  o.format.format = format;
  o.fast_paths = fast;
  o.threads = threads;
  o.chunk_bytes = chunk;
  o.out = fmt;
  o.max_reported_malformed = 1000;
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* file = open_memstream(&buf, &len);
  Scan s;
  s.stats = ScanBuffer(data, "log", f.index, o, file);
  std::fclose(file);
  s.out.assign(buf, len);
  std::free(buf);
  return s;
}

void ExpectSame(const Scan& a, const Scan& b) {
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(a.stats.format, b.stats.format);
  EXPECT_EQ(a.stats.lines, b.stats.lines);
  EXPECT_EQ(a.stats.values, b.stats.values);
  EXPECT_EQ(a.stats.invalid_values, b.stats.invalid_values);
  EXPECT_EQ(a.stats.ignored, b.stats.ignored);
  EXPECT_EQ(a.stats.malformed, b.stats.malformed);
  EXPECT_EQ(a.stats.hits, b.stats.hits);
  EXPECT_EQ(a.stats.hit_lines, b.stats.hit_lines);
  EXPECT_EQ(a.stats.truncated, b.stats.truncated);
  ASSERT_EQ(a.stats.first_malformed.size(), b.stats.first_malformed.size());
  for (std::size_t i = 0; i < a.stats.first_malformed.size(); ++i) {
    EXPECT_EQ(a.stats.first_malformed[i].line, b.stats.first_malformed[i].line);
    EXPECT_EQ(a.stats.first_malformed[i].error, b.stats.first_malformed[i].error);
  }
}

TEST(ScanFastPath, UnboundLogGivesTheGenericAnswers) {
  constexpr LogFormat kFormat = LogFormat::kUnbound;
  Rng r{11};
  Fixture f = MakeIndex(r);
  std::string log = UnboundLog(r, f, 20000);
  Scan generic = ScanLog(log, f, false, 1, 1 << 20, OutFormat::kJsonLines, kFormat);
  EXPECT_EQ(generic.stats.format, "unbound");
  // The log exercises every outcome.
  EXPECT_GT(generic.stats.hit_lines, 1000u);
  EXPECT_GT(generic.stats.malformed, 100u);
  EXPECT_GT(generic.stats.ignored, 100u);
  EXPECT_GT(generic.stats.invalid_values, 100u);
  for (int threads : {1, 2, 3})
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{4096}, std::size_t{100}}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, chunks of " << chunk);
      ExpectSame(ScanLog(log, f, true, threads, chunk, OutFormat::kJsonLines, kFormat), generic);
    }
  ExpectSame(ScanLog(log, f, true, 2, 8192, OutFormat::kCsv, kFormat),
             ScanLog(log, f, false, 2, 8192, OutFormat::kCsv, kFormat));
}

TEST(ScanFastPath, BindLogGivesTheGenericAnswers) {
  constexpr LogFormat kFormat = LogFormat::kBind;
  Rng r{12};
  Fixture f = MakeIndex(r);
  std::string log = BindLog(r, f, 20000);
  Scan generic = ScanLog(log, f, false, 1, 1 << 20, OutFormat::kJsonLines, kFormat);
  EXPECT_EQ(generic.stats.format, "bind");
  EXPECT_GT(generic.stats.hit_lines, 1000u);
  EXPECT_GT(generic.stats.malformed, 100u);
  EXPECT_GT(generic.stats.ignored, 100u);
  for (int threads : {1, 2})
    for (std::size_t chunk : {std::size_t{1} << 20, std::size_t{777}}) {
      SCOPED_TRACE(testing::Message() << threads << " threads, chunks of " << chunk);
      ExpectSame(ScanLog(log, f, true, threads, chunk, OutFormat::kJsonLines, kFormat), generic);
    }
}

// Line by line: whenever FastQueryName takes a line, the generic reader
// returns exactly that one query value.
TEST(ScanFastPath, FastQueryNameAgreesWithTheReader) {
  Rng r{13};
  Fixture f = MakeIndex(r);
  for (LogFormat format : {LogFormat::kUnbound, LogFormat::kBind}) {
    std::string log = format == LogFormat::kUnbound ? UnboundLog(r, f, 5000) : BindLog(r, f, 5000);
    LineReader reader(FormatSpec{format});
    std::vector<LogValue> values;
    std::string error;
    std::size_t taken = 0, pos = 0;
    while (pos < log.size()) {
      std::size_t nl = log.find('\n', pos);
      if (nl == std::string::npos) nl = log.size();
      std::string_view line = std::string_view(log).substr(pos, nl - pos);
      pos = nl + 1;
      std::string_view name;
      bool fast = FastQueryName(format, line, name);
      LineStatus st = reader.Read(line, values, error);
      if (!fast) continue;
      ++taken;
      ASSERT_EQ(st, LineStatus::kValues) << line;
      ASSERT_EQ(values.size(), 1u) << line;
      EXPECT_EQ(values[0].value, name) << line;
      EXPECT_EQ(values[0].kind, Kind::kDomain);
      EXPECT_EQ(values[0].field, "query");
      EXPECT_FALSE(values[0].optional);
    }
    EXPECT_GT(taken, 3000u);
  }
  std::string_view name;
  EXPECT_FALSE(FastQueryName(LogFormat::kPlain, "example.com", name));
  EXPECT_FALSE(FastQueryName(LogFormat::kUnbound, "", name));
  EXPECT_FALSE(FastQueryName(LogFormat::kBind, " query: a b", name));
}

// The table-driven normaliser of the fast path against NormalizeDomainFast.
TEST(ScanFastPath, NormalizeDomainIntoAgreesWithNormalizeDomainFast) {
  Rng r{14};
  const std::string alphabet = "abcxnXN-_.09Z\xc3\xa9 !*";
  std::size_t accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string in;
    std::size_t n = r.Below(12) == 0 ? 60 + r.Below(220) : r.Below(24);
    for (std::size_t k = 0; k < n; ++k) in += alphabet[r.Below(alphabet.size())];
    if (r.Below(4) == 0) in = "xn--" + in;
    if (r.Below(5) == 0) in += '.';
    std::string expected;
    const bool ok = NormalizeDomainFast(in, expected);
    char buf[256];
    const int len = NormalizeDomainInto(in, buf);
    ASSERT_EQ(ok, len > 0) << in;
    if (ok) {
      ++accepted;
      EXPECT_EQ(std::string_view(buf, static_cast<std::size_t>(len)), expected) << in;
    }
  }
  EXPECT_GT(accepted, 10000u);
  for (std::string_view in :
       std::initializer_list<std::string_view>{"", ".", "a", "A.B.", "xn--a", "a.xn--b.c", "x.",
                                               "..", "a..b", std::string_view("a\0b", 3)}) {
    std::string expected;
    char buf[256];
    EXPECT_EQ(NormalizeDomainFast(in, expected), NormalizeDomainInto(in, buf) > 0) << in;
  }
}

}  // namespace
}  // namespace entente::match
