#include "taxii/query.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "intel/stix.h"

namespace entente::taxii {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Comma-separated values without spaces or empty elements (section 3.4).
Result<std::vector<std::string>> SplitList(std::string_view value, const std::string& name) {
  std::vector<std::string> out;
  if (value.empty()) return Invalid("must not be empty", name);
  size_t start = 0;
  for (;;) {
    size_t comma = value.find(',', start);
    std::string_view item = value.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return Invalid("must not have an empty value between commas", name);
    out.emplace_back(item);
    if (out.size() > kMaxMatchValues)
      return Invalid(fmt::format("at most {} values", kMaxMatchValues), name);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

bool IsTypeName(std::string_view s) {
  if (s.empty() || s.size() > 250) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || IsDigit(c) || c == '-')) return false;
  return true;
}

bool IsSpecVersion(std::string_view s) {
  size_t dot = s.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == s.size() || dot > 4 ||
      s.size() - dot - 1 > 4)
    return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (i != dot && !IsDigit(s[i])) return false;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(y + (month <= 2));
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (IsDigit(c)) return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// One media range of an Accept or Content-Type header: lower-cased
// "type/subtype" and its parameters (names lower-cased, values unquoted).
struct MediaRange {
  std::string type;
  std::map<std::string, std::string> params;
  bool valid = false;
};

MediaRange ParseMediaRange(std::string_view text) {
  MediaRange m;
  size_t semi = text.find(';');
  m.type = LowerCopy(Trim(text.substr(0, semi)));
  size_t slash = m.type.find('/');
  if (m.type.empty() || slash == std::string::npos || slash == 0 || slash + 1 == m.type.size() ||
      m.type.find_first_of(" \t\"", 0) != std::string::npos)
    return m;
  while (semi != std::string_view::npos) {
    size_t next = text.find(';', semi + 1);
    std::string_view param = Trim(text.substr(
        semi + 1, next == std::string_view::npos ? std::string_view::npos : next - semi - 1));
    semi = next;
    if (param.empty()) continue;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) return m;
    std::string name = LowerCopy(Trim(param.substr(0, eq)));
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (name.empty()) return m;
    m.params[name] = std::string(value);
  }
  m.valid = true;
  return m;
}

bool QIsZero(const MediaRange& m) {
  auto q = m.params.find("q");
  if (q == m.params.end()) return false;
  const std::string& v = q->second;
  if (v.empty() || v[0] != '0') return false;
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] != '0' && !(i == 1 && v[i] == '.')) return false;
  return true;
}

bool VersionOk(const MediaRange& m) {
  auto v = m.params.find("version");
  return v == m.params.end() || v->second == "2.1";
}

}  // namespace

Result<std::int64_t> ParseTimestampMicros(std::string_view t) {
  auto bad = [] {
    return Invalid("must be a timestamp YYYY-MM-DDTHH:MM:SS[.s]Z (UTC, a real date)", "timestamp");
  };
  auto digits = [&](size_t from, size_t n) {
    if (from + n > t.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!IsDigit(t[i])) return false;
    return true;
  };
  if (t.size() < 20 || t.size() > 30) return bad();
  if (!(digits(0, 4) && t[4] == '-' && digits(5, 2) && t[7] == '-' && digits(8, 2) &&
        t[10] == 'T' && digits(11, 2) && t[13] == ':' && digits(14, 2) && t[16] == ':' &&
        digits(17, 2)))
    return bad();
  auto num = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) ||
      hour > 23 || minute > 59 || second > 59)
    return bad();
  size_t i = 19;
  std::int64_t micros = 0;
  if (t[i] == '.') {
    ++i;
    size_t n = 0;
    while (i < t.size() && IsDigit(t[i])) {
      if (n < 6) micros = micros * 10 + (t[i] - '0');
      ++n;
      ++i;
    }
    if (n == 0 || n > 9) return bad();
    for (size_t k = n; k < 6; ++k) micros *= 10;
  }
  if (i + 1 != t.size() || t[i] != 'Z') return bad();
  std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60'000'000LL + second * 1'000'000LL + micros;
}

std::string FormatTimestamp(std::int64_t millis) {
  std::int64_t days = FloorDiv(millis, 86'400'000);
  std::int64_t rest = millis - days * 86'400'000;
  int year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}000Z", year, month, day,
                     rest / 3'600'000, rest / 60'000 % 60, rest / 1000 % 60, rest % 1000);
}

std::string EncodeCursor(std::int64_t seq) {
  std::array<unsigned char, 9> bytes{};
  bytes[0] = 1;
  auto u = static_cast<std::uint64_t>(seq);
  for (int k = 0; k < 8; ++k)
    bytes[static_cast<size_t>(8 - k)] = static_cast<unsigned char>(u >> (8 * k));
  std::string out;
  for (size_t k = 0; k < bytes.size(); k += 3) {
    std::uint32_t v = (std::uint32_t{bytes[k]} << 16) | (std::uint32_t{bytes[k + 1]} << 8) |
                      std::uint32_t{bytes[k + 2]};
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  return out;
}

Result<std::int64_t> DecodeCursor(std::string_view next) {
  auto bad = [] { return Invalid("is not a value this server gave in `next`", "next"); };
  if (next.size() != 12) return bad();
  std::array<unsigned char, 9> bytes{};
  for (size_t k = 0; k < 12; k += 4) {
    std::uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) {
      int d = B64Value(next[k + j]);
      if (d < 0) return bad();
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    bytes[k / 4 * 3] = static_cast<unsigned char>(v >> 16);
    bytes[k / 4 * 3 + 1] = static_cast<unsigned char>(v >> 8);
    bytes[k / 4 * 3 + 2] = static_cast<unsigned char>(v);
  }
  if (bytes[0] != 1) return bad();
  std::uint64_t u = 0;
  for (size_t k = 1; k < 9; ++k) u = (u << 8) | bytes[k];
  if (u == 0 || u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return bad();
  return static_cast<std::int64_t>(u);
}

Result<Query> ParseQuery(const std::multimap<std::string, std::string>& params, Endpoint endpoint) {
  std::set<std::string> allowed = {"match[version]", "match[spec_version]"};
  if (endpoint != Endpoint::kDelete) allowed.insert({"added_after", "limit", "next"});
  if (endpoint == Endpoint::kVersions) allowed.erase("match[version]");
  if (endpoint == Endpoint::kObjects || endpoint == Endpoint::kManifest)
    allowed.insert({"match[id]", "match[type]"});
  Query q;
  for (const auto& [name, value] : params) {
    if (!allowed.contains(name)) return Invalid("is not a filter of this endpoint", name);
    if (params.count(name) > 1) return Invalid("must be given once", name);
    if (value.size() > 8192) return Invalid("is too long", name);
    if (name == "added_after") {
      auto us = ParseTimestampMicros(value);
      if (!us) return Invalid(us.error().message, name);
      q.added_after_ms = FloorDiv(*us, 1000);
    } else if (name == "limit") {
      if (value.empty() || value.size() > 18 || value[0] == '0' ||
          !std::all_of(value.begin(), value.end(), IsDigit))
        return Invalid("must be a positive integer", name);
      std::uint64_t n = 0;
      for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      q.limit = static_cast<size_t>(std::min<std::uint64_t>(n, kMaxLimit));
    } else if (name == "next") {
      q.after_seq = ENTENTE_TRY(DecodeCursor(value));
    } else if (name == "match[id]") {
      q.ids = ENTENTE_TRY(SplitList(value, name));
      for (const auto& id : q.ids)
        if (!intel::IsStixIdentifier(id))
          return Invalid("`" + id + "` is not a STIX identifier", name);
    } else if (name == "match[type]") {
      q.types = ENTENTE_TRY(SplitList(value, name));
      for (const auto& t : q.types)
        if (!IsTypeName(t)) return Invalid("`" + t + "` is not an object type", name);
    } else if (name == "match[spec_version]") {
      q.spec_versions = ENTENTE_TRY(SplitList(value, name));
      for (const auto& v : q.spec_versions)
        if (!IsSpecVersion(v)) return Invalid("`" + v + "` is not a version n.m", name);
    } else if (name == "match[version]") {
      auto items = ENTENTE_TRY(SplitList(value, name));
      std::set<std::string> seen;
      for (const auto& v : items) {
        if (!seen.insert(v).second) return Invalid("`" + v + "` is given twice", name);
        if (v == "last") {
          q.version.last = true;
        } else if (v == "first") {
          q.version.first = true;
        } else if (v == "all") {
          q.version.all = true;
        } else {
          if (!ParseTimestampMicros(v))
            return Invalid("`" + v + "` is not last, first, all or a timestamp", name);
          std::string key = intel::VersionKey(v);
          if (key.empty()) return Invalid("`" + v + "` is not a STIX timestamp", name);
          if (std::find(q.version.keys.begin(), q.version.keys.end(), key) != q.version.keys.end())
            return Invalid("`" + v + "` is given twice", name);
          q.version.keys.push_back(std::move(key));
        }
      }
      if (q.version.all && items.size() > 1)
        return Invalid("`all` cannot be combined with other versions", name);
    }
  }
  return q;
}

bool AcceptsTaxii(std::string_view accept, bool stix_ok) {
  if (Trim(accept).empty()) return true;
  size_t start = 0;
  for (;;) {
    size_t comma = accept.find(',', start);
    MediaRange m = ParseMediaRange(accept.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (m.valid && !QIsZero(m)) {
      if (m.type == "*/*" || m.type == "application/*") return true;
      if (m.type == "application/taxii+json" && VersionOk(m)) return true;
      if (stix_ok && m.type == "application/stix+json" && VersionOk(m)) return true;
    }
    if (comma == std::string_view::npos) return false;
    start = comma + 1;
  }
}

bool IsTaxiiContentType(std::string_view content_type) {
  MediaRange m = ParseMediaRange(content_type);
  if (!m.valid || m.type != "application/taxii+json" || !VersionOk(m)) return false;
  for (const auto& [k, v] : m.params)
    if (k != "version" && k != "charset") return false;
  auto cs = m.params.find("charset");
  return cs == m.params.end() || LowerCopy(cs->second) == "utf-8";
}

std::optional<BasicCredentials> ParseBasicAuthorization(std::string_view header) {
  if (header.size() < 6 || LowerCopy(header.substr(0, 6)) != "basic ") return std::nullopt;
  std::string_view b64 = Trim(header.substr(6));
  if (b64.empty() || b64.size() > 4096 || b64.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t k = 0; k < b64.size(); k += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = b64[k + j];
      int d;
      if (c == '=' && k + 4 == b64.size() && j >= 2) {
        d = 0;
        ++pad;
      } else if (pad > 0) {
        return std::nullopt;
      } else if (c == '+') {
        d = 62;
      } else if (c == '/') {
        d = 63;
      } else {
        d = B64Value(c);
        if (d < 0 || c == '-' || c == '_') return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(v & 0xff);
  }
  size_t colon = out.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{out.substr(0, colon), out.substr(colon + 1)};
}

}  // namespace entente::taxii
