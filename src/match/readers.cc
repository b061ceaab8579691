#include "match/readers.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <nlohmann/json.hpp>

namespace entente::match {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits on runs of spaces/tabs, up to `max` tokens.
int Tokens(std::string_view s, std::string_view* out, int max) {
  int n = 0;
  std::size_t i = 0;
  while (i < s.size() && n < max) {
    while (i < s.size() && IsSpace(s[i])) ++i;
    if (i >= s.size()) break;
    std::size_t j = i;
    while (j < s.size() && !IsSpace(s[j])) ++j;
    out[n++] = s.substr(i, j - i);
    i = j;
  }
  return n;
}

// Bytes of IP address text: 1 hex digit, 2 ':', 4 '.'.
constexpr std::array<std::uint8_t, 256> MakeIpBytes() {
  std::array<std::uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[static_cast<std::size_t>(c)] = 1;
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<std::size_t>(c)] = 1;
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<std::size_t>(c)] = 1;
  t[':'] = 2;
  t['.'] = 4;
  return t;
}
constexpr auto kIpBytes = MakeIpBytes();

// Only hex digits, ':' and '.', with at least one ':' or '.'.
bool LooksLikeIp(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  unsigned seen = 0;
  for (char c : s) {
    const unsigned b = kIpBytes[static_cast<unsigned char>(c)];
    if (!b) return false;
    seen |= b;
  }
  return (seen & 6) != 0;
}

// The offset of the first " info: " in `line` (npos when none), as
// line.find(" info: "), 16 positions at a time where SSE2 is available.
std::size_t FindInfo(std::string_view line) {
  static constexpr std::string_view kNeedle = " info: ";
  const char* p = line.data();
  const std::size_t n = line.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(' '), letter = _mm_set1_epi8('i');
  for (; i + 17 <= n; i += 16) {
    unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), space)) &
        _mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1)), letter)));
    while (m) {
      const std::size_t j = i + static_cast<std::size_t>(__builtin_ctz(m));
      if (j + kNeedle.size() <= n && std::memcmp(p + j, kNeedle.data(), kNeedle.size()) == 0)
        return j;
      m &= m - 1;
    }
  }
#endif
  const std::size_t r = line.substr(i).find(kNeedle);
  return r == std::string_view::npos ? r : i + r;
}

// The field `column` (1-based) of a CSV line (RFC 4180 quoting); unquoted
// into `buf` when quoted. Returns false when the line has fewer columns or a
// quote is unterminated.
bool CsvField(std::string_view line, int column, std::string& buf, std::string_view& out,
              std::string& error) {
  int col = 1;
  std::size_t i = 0;
  while (true) {
    bool quoted = i < line.size() && line[i] == '"';
    std::size_t start = i;
    if (quoted) {
      buf.clear();
      ++i;
      while (true) {
        if (i >= line.size()) {
          error = fmt::format("unterminated quote in column {} (offset {})", col, start);
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            buf += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        buf += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        error = fmt::format("garbage after closing quote in column {} (offset {})", col, i);
        return false;
      }
      if (col == column) {
        out = buf;
        return true;
      }
    } else {
      std::size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      if (col == column) {
        out = line.substr(i, end - i);
        return true;
      }
      i = end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma
    ++col;
  }
  error = fmt::format("line has {} columns, column {} wanted", col, column);
  return false;
}

}  // namespace

std::string_view LogFormatName(LogFormat f) {
  switch (f) {
    case LogFormat::kPlain:
      return "plain";
    case LogFormat::kCsv:
      return "csv";
    case LogFormat::kBind:
      return "bind";
    case LogFormat::kUnbound:
      return "unbound";
    case LogFormat::kZeek:
      return "zeek";
    case LogFormat::kZeekJson:
      return "zeek-json";
    case LogFormat::kSquid:
      return "squid";
  }
  return "?";
}

Result<FormatSpec> ParseFormatSpec(std::string_view t) {
  FormatSpec s;
  if (t == "plain")
    s.format = LogFormat::kPlain;
  else if (t == "bind")
    s.format = LogFormat::kBind;
  else if (t == "unbound")
    s.format = LogFormat::kUnbound;
  else if (t == "zeek")
    s.format = LogFormat::kZeek;
  else if (t == "zeek-json")
    s.format = LogFormat::kZeekJson;
  else if (t == "squid")
    s.format = LogFormat::kSquid;
  else if (t.starts_with("csv:")) {
    s.format = LogFormat::kCsv;
    std::string_view n = t.substr(4);
    int v = 0;
    if (n.empty() || n.size() > 4)
      return Invalid(fmt::format("invalid CSV column in '{}'", t), "format");
    for (char c : n) {
      if (c < '0' || c > '9')
        return Invalid(fmt::format("invalid CSV column in '{}'", t), "format");
      v = v * 10 + (c - '0');
    }
    if (v < 1) return Invalid("CSV columns are numbered from 1", "format");
    s.csv_column = v;
  } else {
    return Invalid(fmt::format("unknown log format '{}' (auto, plain, csv:N, bind, unbound, zeek, "
                               "zeek-json, squid)",
                               t),
                   "format");
  }
  return s;
}

FormatSpec DetectFormat(std::string_view head) {
  FormatSpec s;
  std::size_t pos = 0;
  for (int n = 0; n < 20 && pos < head.size(); ++n) {
    std::size_t nl = head.find('\n', pos);
    std::string_view line =
        Trim(head.substr(pos, nl == std::string_view::npos ? head.npos : nl - pos));
    pos = nl == std::string_view::npos ? head.size() : nl + 1;
    if (line.empty()) continue;
    if (line.starts_with("#separator") || line.starts_with("#fields")) {
      s.format = LogFormat::kZeek;
      return s;
    }
    if (line.front() == '{' && line.find("\"query\"") != std::string_view::npos) {
      s.format = LogFormat::kZeekJson;
      return s;
    }
    if (line.find(" query: ") != std::string_view::npos &&
        line.find("client ") != std::string_view::npos) {
      s.format = LogFormat::kBind;
      return s;
    }
    if (line.find("unbound[") != std::string_view::npos &&
        line.find(" info: ") != std::string_view::npos) {
      s.format = LogFormat::kUnbound;
      return s;
    }
    std::string_view tok[10];
    int k = Tokens(line, tok, 10);
    if (k >= 7 && tok[0].find('.') != std::string_view::npos &&
        tok[0].find_first_not_of("0123456789.") == std::string_view::npos &&
        tok[3].find('/') != std::string_view::npos) {
      s.format = LogFormat::kSquid;
      return s;
    }
    if (line.front() != '#') break;
  }
  return s;
}

LineStatus LineReader::ReadZeekHeader(std::string_view line, std::string& error) {
  if (!line.starts_with("#fields")) return LineStatus::kIgnored;
  n_fields_ = 0;
  query_col_ = answers_col_ = -1;
  std::size_t i = line.find('\t');
  if (i == std::string_view::npos) {
    error = "#fields header without tab-separated field names";
    return LineStatus::kMalformed;
  }
  ++i;
  int col = 0;
  while (i <= line.size()) {
    std::size_t j = line.find('\t', i);
    if (j == std::string_view::npos) j = line.size();
    std::string_view name = line.substr(i, j - i);
    if (name == "query") query_col_ = col;
    if (name == "answers") answers_col_ = col;
    ++col;
    i = j + 1;
  }
  n_fields_ = col;
  if (query_col_ < 0 && answers_col_ < 0) {
    error = "#fields header has neither a query nor an answers field (not a dns.log?)";
    return LineStatus::kMalformed;
  }
  return LineStatus::kIgnored;
}

LineStatus LineReader::ReadZeekJson(std::string_view line, std::vector<LogValue>& out,
                                    std::string& error) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return LineStatus::kMalformed;
  }
  json_strings_.clear();
  bool any = false;
  if (auto q = j.find("query"); q != j.end()) {
    if (!q->is_string()) {
      error = "field query is not a string";
      return LineStatus::kMalformed;
    }
    json_strings_.push_back(q->get<std::string>());
    out.push_back({Kind::kDomain, json_strings_.back(), "query"});
    any = true;
  }
  if (auto a = j.find("answers"); a != j.end()) {
    if (!a->is_array()) {
      error = "field answers is not an array";
      return LineStatus::kMalformed;
    }
    for (const auto& v : *a) {
      if (!v.is_string() || json_strings_.size() > 64) continue;
      json_strings_.push_back(v.get<std::string>());
      std::string_view s = json_strings_.back();
      out.push_back({LooksLikeIp(s) ? Kind::kIp : Kind::kDomain, s, "answer", true});
      any = true;
    }
  }
  return any ? LineStatus::kValues : LineStatus::kIgnored;
}

LineStatus LineReader::Read(std::string_view line, std::vector<LogValue>& out, std::string& error) {
  out.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  switch (spec_.format) {
    case LogFormat::kPlain: {
      std::string_view v = Trim(line);
      if (v.empty() || v.front() == '#') return LineStatus::kIgnored;
      out.push_back({Kind::kRegex, v, "value"});
      return LineStatus::kValues;
    }
    case LogFormat::kCsv: {
      if (Trim(line).empty()) return LineStatus::kIgnored;
      std::string_view v;
      json_strings_.clear();
      if (!CsvField(line, spec_.csv_column, json_strings_.emplace_back(), v, error))
        return LineStatus::kMalformed;
      v = Trim(v);
      if (v.empty()) {
        error = fmt::format("column {} is empty", spec_.csv_column);
        return LineStatus::kMalformed;
      }
      out.push_back({Kind::kRegex, v, "value"});
      return LineStatus::kValues;
    }
    case LogFormat::kBind: {
      // ... client @0x7f.. 192.0.2.1#53211 (www.example.com): query: www.example.com IN A +E(0)
      // (192.0.2.53)
      std::size_t q = line.find(" query: ");
      if (q == std::string_view::npos) {
        if (Trim(line).empty() || line.find("client") == std::string_view::npos)
          return LineStatus::kIgnored;
        error = "BIND client line without \"query: \"";
        return LineStatus::kMalformed;
      }
      std::string_view tok[3];
      int n = Tokens(line.substr(q + 8), tok, 3);
      if (n < 3) {
        error = fmt::format("truncated BIND query (offset {})", q + 8);
        return LineStatus::kMalformed;
      }
      out.push_back({Kind::kDomain, tok[0], "query"});
      return LineStatus::kValues;
    }
    case LogFormat::kUnbound: {
      // [1700000000] unbound[1234:0] info: 192.0.2.1 www.example.com. A IN
      std::size_t p = line.find(" info: ");
      if (p == std::string_view::npos) {
        if (Trim(line).empty() || line.find("unbound[") != std::string_view::npos)
          return LineStatus::kIgnored;
        error = "not an Unbound log line";
        return LineStatus::kMalformed;
      }
      std::string_view tok[5];
      int n = Tokens(line.substr(p + 7), tok, 5);
      if (n < 1 || !LooksLikeIp(tok[0])) return LineStatus::kIgnored;  // other info messages
      if (n != 4) {
        error = fmt::format("Unbound query line has {} fields after the client address, 3 expected",
                            n - 1);
        return LineStatus::kMalformed;
      }
      out.push_back({Kind::kDomain, tok[1], "query"});
      return LineStatus::kValues;
    }
    case LogFormat::kZeek: {
      if (line.empty()) return LineStatus::kIgnored;
      if (line.front() == '#') return ReadZeekHeader(line, error);
      if (!HasZeekHeader()) {
        error = "Zeek line before any #fields header";
        return LineStatus::kMalformed;
      }
      int col = 0;
      std::size_t i = 0;
      bool any = false;
      while (i <= line.size()) {
        std::size_t j = line.find('\t', i);
        if (j == std::string_view::npos) j = line.size();
        std::string_view f = line.substr(i, j - i);
        if (col == query_col_ && f != "-" && f != "(empty)") {
          out.push_back({Kind::kDomain, f, "query"});
          any = true;
        }
        if (col == answers_col_ && f != "-" && f != "(empty)") {
          std::size_t a = 0;
          while (a <= f.size()) {
            std::size_t b = f.find(',', a);
            if (b == std::string_view::npos) b = f.size();
            std::string_view v = f.substr(a, b - a);
            if (!v.empty())
              out.push_back({LooksLikeIp(v) ? Kind::kIp : Kind::kDomain, v, "answer", true});
            a = b + 1;
          }
          any = true;
        }
        ++col;
        i = j + 1;
      }
      if (col != n_fields_) {
        out.clear();
        error = fmt::format("Zeek line has {} fields, the #fields header {}", col, n_fields_);
        return LineStatus::kMalformed;
      }
      return any ? LineStatus::kValues : LineStatus::kIgnored;
    }
    case LogFormat::kZeekJson:
      if (Trim(line).empty()) return LineStatus::kIgnored;
      return ReadZeekJson(line, out, error);
    case LogFormat::kSquid: {
      // time elapsed client code/status bytes method URL user hierarchy/peer type
      if (Trim(line).empty()) return LineStatus::kIgnored;
      std::string_view tok[10];
      int n = Tokens(line, tok, 10);
      if (n < 7) {
        error = fmt::format("Squid line has {} fields, at least 7 expected", n);
        return LineStatus::kMalformed;
      }
      if (tok[0].find_first_not_of("0123456789.") != std::string_view::npos) {
        error = "Squid line does not start with a timestamp";
        return LineStatus::kMalformed;
      }
      std::string_view url = tok[6];
      if (url.find("://") != std::string_view::npos) {
        out.push_back({Kind::kUrl, url, "url"});
      } else {
        // CONNECT host:port
        std::string_view host = url;
        if (!host.empty() && host.front() == '[') {
          host = host.substr(
              1, host.find(']') == std::string_view::npos ? host.npos : host.find(']') - 1);
        } else if (auto c = host.rfind(':'); c != std::string_view::npos) {
          host = host.substr(0, c);
        }
        out.push_back({LooksLikeIp(host) ? Kind::kIp : Kind::kDomain, host, "host"});
      }
      if (n >= 9) {
        std::string_view h = tok[8];
        if (auto slash = h.find('/'); slash != std::string_view::npos) {
          std::string_view peer = h.substr(slash + 1);
          if (LooksLikeIp(peer)) out.push_back({Kind::kIp, peer, "server", true});
        }
      }
      return LineStatus::kValues;
    }
  }
  return LineStatus::kIgnored;
}

bool FastQueryName(LogFormat format, std::string_view line, std::string_view& name) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (format == LogFormat::kUnbound) {
    // As Read: " info: ", then exactly four tokens, the first an address.
    const std::size_t p = FindInfo(line);
    if (p == std::string_view::npos) return false;
    const char* s = line.data() + p + 7;
    const char* e = line.data() + line.size();
    std::string_view tok[4];
    int n = 0;
#if defined(__SSE2__)
    // Up to 64 bytes: the tokens from a bit mask of the spaces and tabs.
    if (const std::size_t len = static_cast<std::size_t>(e - s); len <= 64) {
      std::uint64_t spaces = 0;
      std::size_t i = 0;
      const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
      for (; i + 16 <= len; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
        spaces |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(
                      _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)))))
                  << i;
      }
      if (i < len && len >= 16) {  // the tail: the last 16 bytes of the line
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + len - 16));
        spaces |= static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(
                      _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)))))
                  << (len - 16);
        i = len;
      }
      for (; i < len; ++i)
        if (IsSpace(s[i])) spaces |= std::uint64_t{1} << i;
      const std::uint64_t valid = len == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
      const std::uint64_t text = ~spaces & valid;
      std::uint64_t starts = text & ~(text << 1);
      // Exactly four tokens (no popcount instruction in the baseline ISA).
      std::uint64_t four = starts;
      for (int k = 0; k < 4; ++k) {
        if (!four) return false;
        four &= four - 1;
      }
      if (four) return false;
      while (starts) {
        const int b = __builtin_ctzll(starts);
        const int run = __builtin_ctzll(~(text >> b));
        tok[n++] = std::string_view(s + b, static_cast<std::size_t>(run));
        starts &= starts - 1;
      }
      // The address, 16 bytes at a time when the load stays in the line.
      const std::size_t a = static_cast<std::size_t>(tok[0].data() - s);
      if (a + 16 <= len && tok[0].size() <= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tok[0].data()));
        auto in_range = [&](char lo, char hi) {
          return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1))),
                               _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1))));
        };
        const __m128i sep = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
        const __m128i ok = _mm_or_si128(_mm_or_si128(in_range('0', '9'), in_range('a', 'f')),
                                        _mm_or_si128(in_range('A', 'F'), sep));
        const unsigned keep = tok[0].size() == 16 ? 0xFFFFu : (1u << tok[0].size()) - 1;
        if ((static_cast<unsigned>(_mm_movemask_epi8(ok)) & keep) != keep) return false;
        if (!(static_cast<unsigned>(_mm_movemask_epi8(sep)) & keep)) return false;
      } else if (!LooksLikeIp(tok[0])) {
        return false;
      }
      name = tok[1];
      return true;
    }
#endif
    while (true) {
      while (s < e && IsSpace(*s)) ++s;
      if (s == e) break;
      if (n == 4) return false;
      const char* t = s;
      while (s < e && !IsSpace(*s)) ++s;
      tok[n++] = std::string_view(t, static_cast<std::size_t>(s - t));
    }
    if (n != 4 || !LooksLikeIp(tok[0])) return false;
    name = tok[1];
    return true;
  }
  if (format == LogFormat::kBind) {
    // As Read: " query: ", then at least three tokens, the first the name.
    const std::size_t q = line.find(" query: ");
    if (q == std::string_view::npos) return false;
    std::string_view tok[3];
    if (Tokens(line.substr(q + 8), tok, 3) < 3) return false;
    name = tok[0];
    return true;
  }
  return false;
}

}  // namespace entente::match
