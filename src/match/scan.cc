#include "match/scan.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
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

class ChunkWorker {
 public:
  ChunkWorker(std::shared_ptr<const Index> index, const LineReader& proto, Millis now,
              std::size_t max_malformed)
      : matcher_(std::move(index), now), reader_(proto), max_malformed_(max_malformed) {}

  void Run(std::string_view data, ChunkResult& r) {
    std::size_t pos = 0;
    std::uint64_t rel = 0;
    while (pos < data.size()) {
      const char* nl =
          static_cast<const char*>(std::memchr(data.data() + pos, '\n', data.size() - pos));
      std::size_t end = nl ? static_cast<std::size_t>(nl - data.data()) : data.size();
      std::string_view line = data.substr(pos, end - pos);
      pos = end + 1;
      ++rel;
      error_.clear();
      LineStatus st = reader_.Read(line, values_, error_);
      if (st == LineStatus::kIgnored) {
        ++r.ignored;
        continue;
      }
      if (st == LineStatus::kMalformed) {
        Malformed(r, rel, std::move(error_));
        continue;
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
    r.lines = rel;
  }

 private:
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
