#include "match/scan.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <mutex>
#include <thread>

namespace entente::match {
namespace {

struct ChunkHit {
  std::uint64_t line;  // relative to the chunk, 1-based
  std::string_view field;
  Kind kind;
  std::string value;
  std::vector<Hit> hits;
};

struct ChunkResult {
  std::uint64_t lines = 0, values = 0, invalid_values = 0, ignored = 0, malformed = 0, hits = 0,
                hit_lines = 0;
  std::vector<MalformedLine> malformed_lines;  // relative line numbers
  std::vector<ChunkHit> hits_list;
  bool done = false;
};

std::string CsvQuote(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

// Lower-cased host name bytes (a-z 0-9 - _), '.' for the dot, 0 otherwise.
constexpr std::array<char, 256> MakeHostBytes() {
  std::array<char, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c + 32);
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = static_cast<char>(c);
  t['-'] = '-';
  t['_'] = '_';
  t['.'] = '.';
  return t;
}
constexpr auto kHostBytes = MakeHostBytes();

}  // namespace

// NormalizeDomainFast into a buffer of at least 256 bytes: the same answer
// (tests/match/scan_fast_test.cc compares them), SSE2 or table-driven. Returns the
// length, or -1 when the slow path must decide.
int NormalizeDomainInto(std::string_view in, char* out) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty() || in.size() > 253) return -1;
#if defined(__SSE2__)
  {
    // 16 bytes at a time in `out` (256 bytes: the blocks past the name's
    // end stay inside it): lower-case, check the bytes, collect the dots;
    // then check the labels between the dots.
    const std::size_t n = in.size();
    std::memcpy(out, in.data(), n);
    std::uint64_t dots[4] = {};
    auto in_range = [](__m128i v, char lo, char hi) {
      return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                           _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    for (std::size_t i = 0; i < n; i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(out + i));
      v = _mm_add_epi8(v, _mm_and_si128(in_range(v, 'A', 'Z'), _mm_set1_epi8(32)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), v);
      const __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
      const __m128i ok =
          _mm_or_si128(_mm_or_si128(in_range(v, 'a', 'z'), in_range(v, '0', '9')),
                       _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
                                                 _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))),
                                    dot));
      unsigned bad = ~static_cast<unsigned>(_mm_movemask_epi8(ok)) & 0xFFFFu;
      unsigned dm = static_cast<unsigned>(_mm_movemask_epi8(dot));
      if (n - i < 16) {
        const unsigned keep = (1u << (n - i)) - 1;
        bad &= keep;
        dm &= keep;
      }
      if (bad) return -1;
      dots[i / 64] |= static_cast<std::uint64_t>(dm) << (i % 64);
    }
    auto label_ok = [&](std::size_t start, std::size_t end) {
      const std::size_t len = end - start;
      if (len == 0 || len > 63) return false;
      // "xn--" labels take the slow path, which validates the Punycode.
      return !(len >= 4 && std::memcmp(out + start, "xn--", 4) == 0);
    };
    std::size_t start = 0;
    for (std::size_t w = 0; w < 4; ++w)
      for (std::uint64_t m = dots[w]; m; m &= m - 1) {
        const std::size_t d = w * 64 + static_cast<std::size_t>(__builtin_ctzll(m));
        if (!label_ok(start, d)) return -1;
        start = d + 1;
      }
    return label_ok(start, n) ? static_cast<int>(n) : -1;
  }
#endif
  std::size_t label = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = kHostBytes[static_cast<unsigned char>(in[i])];
    if (c == '.') {
      if (label == 0) return -1;
      label = 0;
    } else {
      if (c == 0 || ++label > 63) return -1;
      // "xn--" labels take the slow path, which validates the Punycode.
      if (label == 4 && c == '-' && out[i - 1] == '-' && out[i - 2] == 'n' && out[i - 3] == 'x')
        return -1;
    }
    out[i] = c;
  }
  return label != 0 ? static_cast<int>(in.size()) : -1;
}

namespace {

// The offset of the next '\n' at or after `pos` (data.size() when none):
// 16 bytes at a time inline (log lines are short, a libc call per line
// costs more than the search), memchr for the last bytes.
inline std::size_t LineEnd(std::string_view data, std::size_t pos) {
#if defined(__SSE2__)
  const __m128i nl = _mm_set1_epi8('\n');
  for (; pos + 16 <= data.size(); pos += 16) {
    const unsigned m = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data.data() + pos)), nl)));
    if (m) return pos + static_cast<std::size_t>(__builtin_ctz(m));
  }
#endif
  const void* p = std::memchr(data.data() + pos, '\n', data.size() - pos);
  return p ? static_cast<std::size_t>(static_cast<const char*>(p) - data.data()) : data.size();
}

class ChunkWorker {
 public:
  ChunkWorker(std::shared_ptr<const Index> index, const LineReader& proto, Millis now,
              std::size_t max_malformed)
      : matcher_(std::move(index), now), reader_(proto), max_malformed_(max_malformed) {}

  void Run(std::string_view data, ChunkResult& r) {
    // BIND and Unbound query logs take the fast path: the query name is cut
    // out of the line in place (FastQueryName), normalised, and matched in
    // batches whose table probes are prefetched together. A line the fast
    // path does not take whole goes through the generic reader, after the
    // batch before it, so hits stay in line order with the same answers.
    const LogFormat format = reader_.spec().format;
    const bool fast = use_fast_ && (format == LogFormat::kUnbound || format == LogFormat::kBind);
    std::size_t pos = 0;
    std::uint64_t rel = 0;
    batch_n_ = 0;
    while (pos < data.size()) {
      const std::size_t end = LineEnd(data, pos);
      std::string_view line = data.substr(pos, end - pos);
      pos = end + 1;
      ++rel;
      if (fast) {
        std::string_view name;
        Pending& p = batch_[batch_n_];
        int len;
        if (FastQueryName(format, line, name) && (len = NormalizeDomainInto(name, p.name)) > 0) {
          p.rel = rel;
          p.len = static_cast<std::uint16_t>(len);
          // Names the index's pre-filter rejects are counted, not batched.
          if (!matcher_.PrefetchDomain(std::string_view(p.name, p.len))) {
            ++r.values;
            continue;
          }
          if (++batch_n_ == kBatch) Flush(r);
          continue;
        }
        Flush(r);
      }
      GenericLine(line, rel, r);
    }
    Flush(r);
    r.lines = rel;
  }

  // For tests: the generic reader for every line.
  void set_use_fast(bool f) { use_fast_ = f; }

 private:
  static constexpr std::size_t kBatch = 16;
  struct Pending {
    std::uint64_t rel = 0;
    std::uint16_t len = 0;
    char name[256];  // normalised query name
  };

  void Flush(ChunkResult& r) {
    for (std::size_t i = 0; i < batch_n_; ++i) {
      const Pending& p = batch_[i];
      ++r.values;
      const std::string_view name(p.name, p.len);
      std::span<const Hit> hits = matcher_.MatchDomain(name);
      if (hits.empty()) continue;
      Record(r, p.rel, "query", Kind::kDomain, name, hits);
      ++r.hit_lines;
    }
    batch_n_ = 0;
  }

  void GenericLine(std::string_view line, std::uint64_t rel, ChunkResult& r) {
    error_.clear();
    LineStatus st = reader_.Read(line, values_, error_);
    if (st == LineStatus::kIgnored) {
      ++r.ignored;
      return;
    }
    if (st == LineStatus::kMalformed) {
      Malformed(r, rel, std::move(error_));
      return;
    }
    std::uint64_t before = r.hits;
    for (const LogValue& v : values_) {
      ++r.values;
      if (!MatchValue(v, rel, r)) {
        if (v.optional) continue;
        ++r.invalid_values;
        Malformed(r, rel,
                  fmt::format("invalid {} in field {}: {}", KindLabel(v.kind), v.field, error_));
        break;
      }
    }
    if (r.hits != before) ++r.hit_lines;
  }

  static std::string_view KindLabel(Kind k) { return k == Kind::kRegex ? "value" : KindName(k); }

  void Malformed(ChunkResult& r, std::uint64_t rel, std::string error) {
    ++r.malformed;
    if (r.malformed_lines.size() < max_malformed_)
      r.malformed_lines.push_back({rel, std::move(error)});
  }

  void Record(ChunkResult& r, std::uint64_t rel, std::string_view field, Kind kind,
              std::string_view value, std::span<const Hit> hits) {
    if (hits.empty()) return;
    ++r.hits;
    r.hits_list.push_back({rel, field, kind, std::string(value), {hits.begin(), hits.end()}});
  }

  bool MatchDomainText(std::string_view v, std::uint64_t rel, std::string_view field,
                       ChunkResult& r) {
    if (!NormalizeDomainFast(v, buf_)) {
      auto d = NormalizeDomain(v);
      if (!d) {
        error_ = d.error().message;
        return false;
      }
      buf_ = std::move(*d);
    }
    Record(r, rel, field, Kind::kDomain, buf_, matcher_.MatchDomain(buf_));
    return true;
  }

  bool MatchIpText(std::string_view v, std::uint64_t rel, std::string_view field, ChunkResult& r) {
    auto p = ParseIp(v);
    if (!p) {
      error_ = p.error().message;
      return false;
    }
    Record(r, rel, field, Kind::kIp, v, matcher_.MatchIp(*p));
    return true;
  }

  bool MatchValue(const LogValue& v, std::uint64_t rel, ChunkResult& r) {
    Kind kind = v.kind;
    bool sub = false;
    std::string_view text = v.value;
    if (kind == Kind::kRegex) {
      detect_.assign(v.value);
      kind = DetectKind(detect_, sub);
      text = detect_;
    }
    switch (kind) {
      case Kind::kDomain:
        return MatchDomainText(text, rel, v.field, r);
      case Kind::kIp:
        return MatchIpText(text, rel, v.field, r);
      case Kind::kUrl: {
        auto u = NormalizeUrl(text);
        if (!u) {
          error_ = u.error().message;
          return false;
        }
        Record(r, rel, v.field, Kind::kUrl, *u, matcher_.MatchUrl(*u));
        std::string_view host = UrlHost(*u);
        std::string h(host);
        if (ParseIp(h)) return MatchIpText(h, rel, "host", r);
        return MatchDomainText(h, rel, "host", r);
      }
      case Kind::kEmail: {
        auto e = NormalizeEmail(text);
        if (!e) {
          error_ = e.error().message;
          return false;
        }
        Record(r, rel, v.field, Kind::kEmail, *e, matcher_.MatchEmail(*e));
        return true;
      }
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256: {
        auto h = ParseHexHash(text);
        if (!h) {
          error_ = h.error().message;
          return false;
        }
        std::string lower(text);
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        Record(r, rel, v.field, kind, lower, matcher_.MatchHash(*h));
        return true;
      }
      case Kind::kRegex:
        break;
    }
    return false;
  }

  Matcher matcher_;
  LineReader reader_;
  std::size_t max_malformed_;
  std::vector<LogValue> values_;
  std::string error_, buf_, detect_;
  bool use_fast_ = true;
  std::array<Pending, kBatch> batch_;
  std::size_t batch_n_ = 0;
};

}  // namespace

nlohmann::ordered_json HitJson(const Index& index, const Hit& hit) {
  const Meta& m = index.meta()[hit.meta];
  nlohmann::ordered_json j;
  j["id"] = std::string(index.Id(hit.meta));
  j["kind"] = std::string(KindName(m.kind));
  j["match"] = std::string(MatchTypeName(hit.type));
  if (hit.type == MatchType::kCidr || (hit.type == MatchType::kExact && m.kind == Kind::kIp))
    j["prefix"] = hit.prefix;
  j["tlp"] = std::string(TlpName(m.tlp));
  j["pap"] = std::string(PapName(m.pap));
  j["community"] = index.Community(hit.meta);
  j["confidence"] =
      m.confidence < 0 ? nlohmann::ordered_json() : nlohmann::ordered_json(m.confidence);
  j["valid_from"] = m.valid_from_s
                        ? nlohmann::ordered_json(FormatRfc3339(Millis(m.valid_from_s) * 1000))
                        : nlohmann::ordered_json();
  j["valid_until"] = m.valid_until_s
                         ? nlohmann::ordered_json(FormatRfc3339(Millis(m.valid_until_s) * 1000))
                         : nlohmann::ordered_json();
  return j;
}

void WriteCsvHeader(std::FILE* out) {
  std::fputs(
      "file,line,field,kind,value,indicator,indicator_kind,match,tlp,pap,community,confidence,"
      "valid_from,valid_until\n",
      out);
}

namespace {

void Emit(const Index& index, const std::string& file, std::uint64_t base, const ChunkHit& h,
          OutFormat fmt, std::FILE* out) {
  std::string text;
  if (fmt == OutFormat::kJsonLines) {
    nlohmann::ordered_json j;
    j["file"] = file;
    j["line"] = base + h.line;
    j["field"] = std::string(h.field);
    j["kind"] = std::string(KindName(h.kind));
    j["value"] = h.value;
    auto& list = j["indicators"] = nlohmann::ordered_json::array();
    for (const Hit& x : h.hits) list.push_back(HitJson(index, x));
    text = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    text += '\n';
  } else {
    for (const Hit& x : h.hits) {
      auto j = HitJson(index, x);
      auto str = [&](const char* k) {
        return j[k].is_null() ? std::string() : j[k].get<std::string>();
      };
      text +=
          fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", CsvQuote(file), base + h.line,
                      h.field, KindName(h.kind), CsvQuote(h.value), CsvQuote(str("id")),
                      str("kind"), str("match"), str("tlp"), str("pap"), CsvQuote(str("community")),
                      j["confidence"].is_null() ? std::string() : j["confidence"].dump(),
                      str("valid_from"), str("valid_until"));
    }
  }
  std::fwrite(text.data(), 1, text.size(), out);
}

}  // namespace

ScanStats ScanBuffer(std::string_view data, const std::string& name,
                     std::shared_ptr<const Index> index, const ScanOptions& options,
                     std::FILE* out) {
  ScanStats stats;
  stats.file = name;
  stats.bytes = data.size();
  stats.truncated = !data.empty() && data.back() != '\n';
  FormatSpec spec = options.auto_format ? DetectFormat(data.substr(0, 64 << 10)) : options.format;
  stats.format = std::string(LogFormatName(spec.format));
  if (spec.format == LogFormat::kCsv) stats.format += fmt::format(":{}", spec.csv_column);

  // The reader every chunk starts from: for Zeek TSV it knows the header at
  // the top of the file.
  LineReader proto(spec);
  if (spec.format == LogFormat::kZeek) {
    std::vector<LogValue> vals;
    std::string err;
    std::size_t pos = 0;
    while (pos < data.size() && data[pos] == '#') {
      std::size_t nl = data.find('\n', pos);
      if (nl == std::string_view::npos) nl = data.size();
      proto.Read(data.substr(pos, nl - pos), vals, err);
      pos = nl + 1;
    }
  }

  // Chunk boundaries at line ends.
  std::vector<std::size_t> bounds{0};
  std::size_t chunk = std::max<std::size_t>(options.chunk_bytes, 1);
  while (bounds.back() < data.size()) {
    std::size_t want = bounds.back() + chunk;
    if (want >= data.size()) {
      bounds.push_back(data.size());
      break;
    }
    const char* nl =
        static_cast<const char*>(std::memchr(data.data() + want, '\n', data.size() - want));
    bounds.push_back(nl ? static_cast<std::size_t>(nl - data.data()) + 1 : data.size());
  }
  std::size_t n = bounds.size() - 1;
  int threads = options.threads > 0
                    ? options.threads
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<std::size_t>(threads, std::max<std::size_t>(n, 1)));
  std::size_t window = static_cast<std::size_t>(threads) * 4;

  std::vector<ChunkResult> results(n);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<std::size_t> next{0};
  std::size_t emitted = 0;
  auto work = [&] {
    ChunkWorker worker(index, proto, options.now, options.max_reported_malformed);
    worker.set_use_fast(options.fast_paths);
    while (true) {
      std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return i < emitted + window; });
      }
      ChunkResult r;
      worker.Run(data.substr(bounds[i], bounds[i + 1] - bounds[i]), r);
      {
        std::lock_guard lock(mu);
        results[i] = std::move(r);
        results[i].done = true;
      }
      cv.notify_all();
    }
  };
  std::vector<std::jthread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);

  std::uint64_t base = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ChunkResult r;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return results[i].done; });
      r = std::move(results[i]);
      results[i] = ChunkResult{};
    }
    for (const ChunkHit& h : r.hits_list) Emit(*index, name, base, h, options.out, out);
    for (auto& m : r.malformed_lines)
      if (stats.first_malformed.size() < options.max_reported_malformed)
        stats.first_malformed.push_back({base + m.line, std::move(m.error)});
    stats.values += r.values;
    stats.invalid_values += r.invalid_values;
    stats.ignored += r.ignored;
    stats.malformed += r.malformed;
    stats.hits += r.hits;
    stats.hit_lines += r.hit_lines;
    base += r.lines;
    {
      std::lock_guard lock(mu);
      emitted = i + 1;
    }
    cv.notify_all();
    if (options.progress) options.progress(bounds[i + 1], data.size());
  }
  pool.clear();
  stats.lines = base;
  return stats;
}

Result<ScanStats> ScanFile(const std::string& path, std::shared_ptr<const Index> index,
                           const ScanOptions& options, std::FILE* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    ::close(fd);
    return Invalid(fmt::format("{} is not a regular file", path));
  }
  std::size_t size = static_cast<std::size_t>(sb.st_size);
  if (size == 0) {
    ::close(fd);
    return ScanBuffer({}, path, std::move(index), options, out);
  }
  // Files that fit comfortably in memory are mapped with their pages
  // populated at once (far fewer page faults: about a third of the scan's
  // CPU time otherwise); larger ones page in as the workers read.
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  bool populate = pages > 0 && page > 0 && size <= static_cast<std::size_t>(pages) * page / 4;
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd, 0);
  ::close(fd);
  if (p == MAP_FAILED)
    return Fail(ErrorCode::kUnavailable,
                fmt::format("cannot map {}: {}", path, std::strerror(errno)));
  ::madvise(p, size, MADV_SEQUENTIAL);
  ScanStats s = ScanBuffer(std::string_view(static_cast<const char*>(p), size), path,
                           std::move(index), options, out);
  ::munmap(p, size);
  return s;
}

}  // namespace entente::match
