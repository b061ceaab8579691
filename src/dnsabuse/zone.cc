#include "dnsabuse/zone.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

namespace entente::dnsabuse {
namespace {

struct TypeInfo {
  std::string_view name;
  std::uint16_t code;
  std::uint8_t min_fields;  // minimum number of RDATA fields
};

// Known mnemonics with the fewest RDATA fields a well-formed record has.
constexpr TypeInfo kTypes[] = {
    {"A", 1, 1},           {"NS", 2, 1},       {"MD", 3, 1},          {"MF", 4, 1},
    {"CNAME", 5, 1},       {"SOA", 6, 7},      {"MB", 7, 1},          {"MG", 8, 1},
    {"MR", 9, 1},          {"NULL", 10, 1},    {"WKS", 11, 2},        {"PTR", 12, 1},
    {"HINFO", 13, 2},      {"MINFO", 14, 2},   {"MX", 15, 2},         {"TXT", 16, 1},
    {"RP", 17, 2},         {"AFSDB", 18, 2},   {"X25", 19, 1},        {"ISDN", 20, 1},
    {"RT", 21, 2},         {"NSAP", 22, 1},    {"SIG", 24, 9},        {"KEY", 25, 4},
    {"PX", 26, 3},         {"GPOS", 27, 3},    {"AAAA", 28, 1},       {"LOC", 29, 6},
    {"NXT", 30, 2},        {"SRV", 33, 4},     {"NAPTR", 35, 6},      {"KX", 36, 2},
    {"CERT", 37, 4},       {"A6", 38, 2},      {"DNAME", 39, 1},      {"APL", 42, 0},
    {"DS", 43, 4},         {"SSHFP", 44, 3},   {"IPSECKEY", 45, 4},   {"RRSIG", 46, 9},
    {"NSEC", 47, 1},       {"DNSKEY", 48, 4},  {"DHCID", 49, 1},      {"NSEC3", 50, 5},
    {"NSEC3PARAM", 51, 4}, {"TLSA", 52, 4},    {"SMIMEA", 53, 4},     {"HIP", 55, 3},
    {"CDS", 59, 4},        {"CDNSKEY", 60, 4}, {"OPENPGPKEY", 61, 1}, {"CSYNC", 62, 2},
    {"ZONEMD", 63, 4},     {"SVCB", 64, 2},    {"HTTPS", 65, 2},      {"SPF", 99, 1},
    {"NID", 104, 2},       {"L32", 105, 2},    {"L64", 106, 2},       {"LP", 107, 2},
    {"EUI48", 108, 1},     {"EUI64", 109, 1},  {"URI", 256, 3},       {"CAA", 257, 3},
    {"AVC", 258, 1},       {"DLV", 32769, 4},
};

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

bool EqualsUpper(std::string_view tok, std::string_view upper) {
  if (tok.size() != upper.size()) return false;
  for (size_t i = 0; i < tok.size(); ++i)
    if (Upper(tok[i]) != upper[i]) return false;
  return true;
}

// The type of a mnemonic or TYPEnnn; nullptr when it is not a type.
const TypeInfo* LookupType(std::string_view tok, TypeInfo& generic) {
  if (tok.empty() || tok.size() > 10) return nullptr;
  // Fast path for the most frequent types.
  switch (tok.size()) {
    case 1:
      if (Upper(tok[0]) == 'A') return &kTypes[0];
      break;
    case 2: {
      const char a = Upper(tok[0]), b = Upper(tok[1]);
      if (a == 'N' && b == 'S') return &kTypes[1];
      if (a == 'D' && b == 'S') return &kTypes[36];
      break;
    }
    case 4:
      if (EqualsUpper(tok, "AAAA")) return &kTypes[26];
      break;
    case 5:
      if (EqualsUpper(tok, "RRSIG")) return &kTypes[39];
      break;
    default:
      break;
  }
  for (const auto& t : kTypes)
    if (EqualsUpper(tok, t.name)) return &t;
  if (tok.size() > 4 && EqualsUpper(tok.substr(0, 4), "TYPE")) {
    unsigned v = 0;
    for (char c : tok.substr(4)) {
      if (c < '0' || c > '9') return nullptr;
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 65535) return nullptr;
    }
    if (tok.size() > 5 && tok[4] == '0') return nullptr;
    for (const auto& t : kTypes)
      if (t.code == v) return &t;
    generic = {"", static_cast<std::uint16_t>(v), 0};
    return &generic;
  }
  return nullptr;
}

bool IsClass(std::string_view tok) {
  return EqualsUpper(tok, "IN") || EqualsUpper(tok, "CH") || EqualsUpper(tok, "HS") ||
         EqualsUpper(tok, "CS") || (tok.size() > 5 && EqualsUpper(tok.substr(0, 5), "CLASS"));
}

// A TTL: decimal seconds or BIND units (1w2d3h4m5s). Returns false if not one.
bool ParseTtl(std::string_view tok, std::uint32_t& out) {
  if (tok.empty() || tok[0] < '0' || tok[0] > '9') return false;
  if (tok.size() <= 9) {  // plain seconds, the usual form (cannot overflow)
    std::uint32_t v = 0;
    size_t i = 0;
    for (; i < tok.size() && tok[i] >= '0' && tok[i] <= '9'; ++i)
      v = v * 10 + static_cast<std::uint32_t>(tok[i] - '0');
    if (i == tok.size()) {
      if (v > 0x7fffffffU) return false;  // RFC 2181: TTLs are 31-bit
      out = v;
      return true;
    }
  }
  std::uint64_t total = 0, cur = 0;
  bool digits = false, units = false;
  for (char c : tok) {
    if (c >= '0' && c <= '9') {
      cur = cur * 10 + static_cast<unsigned>(c - '0');
      if (cur > 0xffffffffULL) return false;
      digits = true;
      continue;
    }
    if (!digits) return false;
    std::uint64_t mul = 0;
    switch (Upper(c)) {
      case 'S':
        mul = 1;
        break;
      case 'M':
        mul = 60;
        break;
      case 'H':
        mul = 3600;
        break;
      case 'D':
        mul = 86400;
        break;
      case 'W':
        mul = 604800;
        break;
      default:
        return false;
    }
    total += cur * mul;
    cur = 0;
    digits = false;
    units = true;
  }
  if (digits)
    total += cur;
  else if (!units)
    return false;
  if (total > 0x7fffffffULL) return false;  // RFC 2181: TTLs are 31-bit
  out = static_cast<std::uint32_t>(total);
  return true;
}

// Character classes of the tokenizer.
enum : std::uint8_t { kPlain = 0, kSpace, kNewline, kComment, kOpen, kClose, kQuote, kEscape };
constexpr std::array<std::uint8_t, 256> MakeClasses() {
  std::array<std::uint8_t, 256> t{};
  t[' '] = kSpace;
  t['\t'] = kSpace;
  t['\r'] = kSpace;
  t['\n'] = kNewline;
  t[';'] = kComment;
  t['('] = kOpen;
  t[')'] = kClose;
  t['"'] = kQuote;
  t['\\'] = kEscape;
  return t;
}
constexpr auto kClass = MakeClasses();

// The offset of the first byte at or after q (< n) that is not kPlain, or n.
// With SSE2, 16 bytes at a time: bytes <= 0x20 and the specials stop the
// scan, and the table decides (control bytes other than tab, CR and newline
// are plain and the scan goes on after them).
inline size_t PlainEnd(const char* data, size_t q, size_t n) {
#if defined(__SSE2__)
  const __m128i space = _mm_set1_epi8(0x20), quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('('),
                close = _mm_set1_epi8(')'), semi = _mm_set1_epi8(';'), escape = _mm_set1_epi8('\\');
  while (q + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + q));
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, space), v);
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, open)),
                     _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, close), _mm_cmpeq_epi8(v, semi)),
                                  _mm_cmpeq_epi8(v, escape)));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, special)));
    while (mask) {
      const size_t at = q + static_cast<size_t>(__builtin_ctz(mask));
      if (kClass[static_cast<unsigned char>(data[at])] != kPlain) return at;
      mask &= mask - 1;
    }
    q += 16;
  }
#endif
  while (q < n && kClass[static_cast<unsigned char>(data[q])] == kPlain) ++q;
  return q;
}

#if defined(__SSE2__)
// The common record: one line holding none of ; ( ) " \ before its newline.
// Its tokens are the runs of bytes between blanks (space, tab, CR), found 16
// bytes at a time from the masks of blanks and specials. Appends them to
// `tokens` and returns the offset after the newline, or 0 when the general
// tokenizer must decide (a special byte before the newline, or no newline
// within the whole 16-byte blocks before n); `tokens` then holds garbage.
inline size_t FastLine(const char* data, size_t p, size_t n,
                       std::vector<std::string_view>& tokens) {
  const __m128i nl = _mm_set1_epi8('\n'), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
                cr = _mm_set1_epi8('\r'), quote = _mm_set1_epi8('"'), open = _mm_set1_epi8('('),
                close = _mm_set1_epi8(')'), semi = _mm_set1_epi8(';'), escape = _mm_set1_epi8('\\');
  size_t q = p, start = p;
  unsigned carry = 0;  // 1 when the byte before q is inside a token
  while (q + 16 <= n) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + q));
    const unsigned special = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_or_si128(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, quote)),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, open), _mm_cmpeq_epi8(v, close))),
                     _mm_or_si128(_mm_cmpeq_epi8(v, semi), _mm_cmpeq_epi8(v, escape)))));
    unsigned blank = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)), _mm_cmpeq_epi8(v, cr))));
    unsigned stop = 16;
    if (special) {
      stop = static_cast<unsigned>(__builtin_ctz(special));
      if (data[q + stop] != '\n') return 0;
      blank |= 0xffffu << stop;  // the newline and what follows end the last token
      blank &= 0xffffu;
    }
    const unsigned word = ~blank & 0xffffu;
    const unsigned before = ((word << 1) | carry) & 0xffffu;  // bit i: byte i-1 in a token
    const unsigned starts = word & ~before, ends = blank & before;
    for (unsigned edges = starts | ends; edges; edges &= edges - 1) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(edges));
      if ((starts >> i) & 1u)
        start = q + i;
      else
        tokens.emplace_back(data + start, q + i - start);
    }
    if (special) return q + stop + 1;
    carry = word >> 15;
    q += 16;
  }
  return 0;
}
#endif

bool SimpleName(std::string_view text, std::string_view origin, bool has_origin, std::string* out);

bool RawNameByte(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '.' && c != ';' && c != '\\' && c != '(' && c != ')' &&
         c != '"' && c != '@' && c != '$';
}

struct Source {
  std::string file;  // display name
  std::string dir;   // for relative $INCLUDE paths
};

class Parser {
 public:
  Parser(const ZoneOptions& options, const RecordFn& fn, ZoneStats& stats)
      : options_(options), fn_(fn), stats_(stats) {
    if (!options.origin.empty()) {
      std::string err = CanonicalName(AbsoluteOrigin(options.origin), "", true, origin_);
      if (err.empty())
        has_origin_ = true;
      else
        Issue(options.display_name, 0, "invalid initial origin: " + err);
    }
    tokens_.reserve(64);
  }

  // Parses a stream: `read` fills a buffer and returns the bytes read, 0 at
  // the end, or an error.
  Status Run(const Source& src, const std::function<Result<size_t>(char*, size_t)>& read, int depth,
             size_t initial = std::size_t{8} << 20) {
    std::vector<char> buf(std::max<size_t>(initial, 64));
    size_t have = 0;
    std::uint64_t line = 1;
    bool eof = false;
    while (!eof || have > 0) {
      if (!eof) {
        if (have == buf.size()) {
          if (buf.size() >= kMaxRecordBytes)
            return Invalid(
                fmt::format("{}:{}: record longer than {} bytes", src.file, line, kMaxRecordBytes));
          buf.resize(std::min(buf.size() * 2, kMaxRecordBytes));
        }
        auto n = read(buf.data() + have, buf.size() - have);
        if (!n) return std::unexpected(n.error());
        if (*n == 0) eof = true;
        if (depth == 0 && options_.on_bytes && *n > 0)
          options_.on_bytes(std::string_view(buf.data() + have, *n));
        have += *n;
        stats_.bytes += *n;
      }
      size_t used = ParseChunk(src, depth, buf.data(), have, eof, line);
      if (used == 0 && !eof) continue;  // need more data (buffer grows if full)
      std::memmove(buf.data(), buf.data() + used, have - used);
      have -= used;
      if (eof && used == 0) break;
    }
    return Ok();
  }

  // Parses text already in memory (a mapped file, or text given by the
  // caller) in place: the same windows of at most kMaxRecordBytes as Run,
  // without copying them into a buffer.
  Status RunMemory(const Source& src, const char* data, size_t size, int depth,
                   size_t initial = std::size_t{8} << 20) {
    size_t off = 0, seen = 0;
    size_t window = std::max<size_t>(initial, 64);
    std::uint64_t line = 1;
    while (off < size) {
      const size_t n = std::min(window, size - off);
      const bool eof = off + n == size;
      if (off + n > seen) {  // bytes not yet handed over
        if (depth == 0 && options_.on_bytes)
          options_.on_bytes(std::string_view(data + seen, off + n - seen));
        stats_.bytes += off + n - seen;
        seen = off + n;
      }
      const size_t used = ParseChunk(src, depth, data + off, n, eof, line);
      if (used == 0 && !eof) {
        if (n >= kMaxRecordBytes)
          return Invalid(
              fmt::format("{}:{}: record longer than {} bytes", src.file, line, kMaxRecordBytes));
        window = std::min(window * 2, kMaxRecordBytes);
        continue;
      }
      off += used;
      if (eof && used == 0) break;
    }
    return Ok();
  }

 private:
  static std::string AbsoluteOrigin(std::string o) {
    if (o != "." && (o.empty() || o.back() != '.')) o += '.';
    return o;
  }

  void Issue(std::string_view file, std::uint64_t line, std::string msg) {
    ++stats_.errors;
    if (stats_.issues.size() < options_.max_issues)
      stats_.issues.push_back({std::string(file), line, std::move(msg)});
  }

  // Consumes complete records of data[0, n); returns the bytes consumed.
  size_t ParseChunk(const Source& src, int depth, const char* data, size_t n, bool final,
                    std::uint64_t& line) {
    size_t pos = 0;
    while (pos < n) {
      size_t p = pos;
      tokens_.clear();
      const bool indented = kClass[static_cast<unsigned char>(data[p])] == kSpace;
      const std::uint64_t first_line = line;
#if defined(__SSE2__)
      if (const size_t end = FastLine(data, p, n, tokens_)) {
        ++line;
        if (!tokens_.empty()) Record(src, depth, indented, first_line);
        pos = end;
        continue;
      }
      tokens_.clear();
#endif
      std::uint64_t lines_in_record = 0;
      int parens = 0;
      bool complete = false;
      const char* error = nullptr;
      while (p < n) {
        const unsigned char c = static_cast<unsigned char>(data[p]);
        switch (kClass[c]) {
          case kSpace:
            ++p;
            continue;
          case kNewline:
            ++p;
            ++lines_in_record;
            if (parens == 0) {
              complete = true;
              break;
            }
            continue;
          case kComment: {
            const void* nl = std::memchr(data + p, '\n', n - p);
            p = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data) : n;
            continue;
          }
          case kOpen:
            if (parens > 0 && !error) error = "nested '('";
            ++parens;
            ++p;
            continue;
          case kClose:
            if (parens == 0) {
              if (!error) error = "')' without '('";
            } else {
              --parens;
            }
            ++p;
            continue;
          case kQuote: {
            size_t q = p + 1;
            while (q < n && data[q] != '"' && data[q] != '\n')
              q += (data[q] == '\\' && q + 1 < n && data[q + 1] != '\n') ? 2 : 1;
            if (q >= n) {
              if (!error) error = "unterminated quoted string";
              p = n;
              continue;
            }
            if (data[q] == '\n') {
              if (!error) error = "unterminated quoted string";
              tokens_.emplace_back(data + p, q - p);
              p = q;
              continue;
            }
            tokens_.emplace_back(data + p, q + 1 - p);
            p = q + 1;
            continue;
          }
          default: {
            size_t q = p;
            while (true) {
              q = PlainEnd(data, q, n);
              if (q >= n || kClass[static_cast<unsigned char>(data[q])] != kEscape) break;
              if (q + 1 < n && data[q + 1] != '\n')
                q += 2;
              else
                ++q;
            }
            tokens_.emplace_back(data + p, q - p);
            p = q;
            continue;
          }
        }
        break;  // record complete
      }
      if (!complete) {
        if (!final) return pos;  // wait for the rest of the record
        if (parens > 0 && !error) error = "'(' not closed at end of file";
      }
      line += lines_in_record;
      if (error) {
        Issue(src.file, first_line, error);
      } else if (!tokens_.empty()) {
        Record(src, depth, indented, first_line);
      }
      pos = p;
    }
    return pos;
  }

  void Record(const Source& src, int depth, bool indented, std::uint64_t line) {
    size_t k = 0;
    const std::string_view first = tokens_[0];
    if (!indented && first[0] == '$') {
      Directive(src, depth, line);
      return;
    }
    if (indented) {
      if (!has_owner_) {
        Issue(src.file, line, "record without owner name and no valid previous owner");
        return;
      }
    } else {
      k = 1;
      if (!(first == last_owner_raw_ && owner_origin_gen_ == origin_gen_ && has_owner_)) {
        std::string err;
        if (first == "@") {
          if (!has_origin_) {
            Issue(src.file, line, "'@' used but no $ORIGIN is set");
            has_owner_ = false;
            return;
          }
          owner_ = origin_;
        } else {
          err = CanonicalName(first, origin_, has_origin_, owner_);
        }
        if (!err.empty()) {
          Issue(src.file, line, fmt::format("owner name '{}': {}", Clip(first), err));
          has_owner_ = false;  // following indented lines have no valid owner
          return;
        }
        last_owner_raw_.assign(first);
        owner_origin_gen_ = origin_gen_;
        has_owner_ = true;
      }
    }
    std::uint32_t ttl = 0;
    bool have_ttl = false, have_class = false;
    TypeInfo generic{};
    const TypeInfo* type = nullptr;
    for (; k < tokens_.size(); ++k) {
      const std::string_view t = tokens_[k];
      if (!have_ttl && ParseTtl(t, ttl)) {
        have_ttl = true;
        continue;
      }
      if (!have_class && IsClass(t)) {
        if (!EqualsUpper(t, "IN")) {
          Issue(src.file, line, fmt::format("class {} is not supported (only IN)", Clip(t)));
          return;
        }
        have_class = true;
        continue;
      }
      type = LookupType(t, generic);
      if (!type) {
        Issue(src.file, line, fmt::format("unknown record type '{}'", Clip(t)));
        return;
      }
      ++k;
      break;
    }
    if (!type) {
      Issue(src.file, line, "missing record type");
      return;
    }
    rdata_.assign(tokens_.begin() + static_cast<std::ptrdiff_t>(k), tokens_.end());
    if (!CheckRdata(*type, src, line)) return;
    if (!have_ttl) {
      // RFC 2308: $TTL when set, else (RFC 1035) the last explicit TTL.
      if (has_default_ttl_) {
        ttl = default_ttl_;
      } else if (have_last_ttl_) {
        ttl = last_ttl_;
      } else if (type->code == rrtype::kSOA && ParseTtl(rdata_[6], ttl)) {
        // RFC 1035: the SOA MINIMUM when nothing else is set
      } else {
        Issue(src.file, line, "no TTL on the record and no $TTL before it");
        return;
      }
    } else {
      last_ttl_ = ttl;
      have_last_ttl_ = true;
    }
    if (type->code == rrtype::kSOA && !stats_.has_apex) {
      stats_.apex = owner_;
      stats_.has_apex = true;
    }
    ++stats_.records;
    ++stats_.by_type[type->code];
    ZoneRecord r;
    r.owner = owner_;
    r.type = type->code;
    r.ttl = ttl;
    r.rdata = &rdata_;
    r.file = src.file;
    r.line = line;
    fn_(r);
  }

  static std::string Clip(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    if (s.size() > 64) out += "...";
    return out;
  }

  bool CheckRdata(const TypeInfo& type, const Source& src, std::uint64_t line) {
    if (!rdata_.empty() && rdata_[0] == "\\#") {
      if (rdata_.size() < 2) {
        Issue(src.file, line, "generic RDATA '\\#' without a length");
        return false;
      }
      std::uint32_t len = 0;
      for (char c : rdata_[1]) {
        if (c < '0' || c > '9' || len > 65535) {
          Issue(src.file, line, "generic RDATA length is not a number 0-65535");
          return false;
        }
        len = len * 10 + static_cast<unsigned>(c - '0');
      }
      size_t hex = 0;
      for (size_t i = 2; i < rdata_.size(); ++i) {
        for (char c : rdata_[i])
          if (!std::isxdigit(static_cast<unsigned char>(c))) {
            Issue(src.file, line, "generic RDATA holds a non-hexadecimal character");
            return false;
          }
        hex += rdata_[i].size();
      }
      if (hex != 2 * static_cast<size_t>(len)) {
        Issue(src.file, line,
              fmt::format("generic RDATA announces {} bytes but holds {} hex digits", len, hex));
        return false;
      }
      return true;
    }
    if (rdata_.size() < type.min_fields) {
      Issue(src.file, line,
            fmt::format("{} record needs at least {} RDATA field{}, has {}",
                        type.name.empty() ? TypeName(type.code) : std::string(type.name),
                        type.min_fields, type.min_fields == 1 ? "" : "s", rdata_.size()));
      return false;
    }
    switch (type.code) {
      case rrtype::kA: {
        std::string s(rdata_[0]);
        in_addr a;
        if (rdata_.size() != 1 || inet_pton(AF_INET, s.c_str(), &a) != 1) {
          Issue(src.file, line, fmt::format("A record: '{}' is not an IPv4 address", Clip(s)));
          return false;
        }
        return true;
      }
      case rrtype::kAAAA: {
        std::string s(rdata_[0]);
        in6_addr a;
        if (rdata_.size() != 1 || inet_pton(AF_INET6, s.c_str(), &a) != 1) {
          Issue(src.file, line, fmt::format("AAAA record: '{}' is not an IPv6 address", Clip(s)));
          return false;
        }
        return true;
      }
      case rrtype::kNS:
      case rrtype::kCNAME:
      case rrtype::kPTR:
      case 39: {  // DNAME
        if (rdata_.size() != 1) {
          Issue(src.file, line,
                fmt::format("{} record takes one name, has {} fields", type.name, rdata_.size()));
          return false;
        }
        // Checked only (the name is not handed over): the fast path
        // without a copy, the full canonicalisation when it cannot decide.
        std::string err = rdata_[0] == "@" ? (has_origin_ ? "" : "'@' but no $ORIGIN")
                          : SimpleName(rdata_[0], origin_, has_origin_, nullptr)
                              ? ""
                              : CanonicalName(rdata_[0], origin_, has_origin_, scratch_);
        if (!err.empty()) {
          Issue(src.file, line, fmt::format("{} target '{}': {}", type.name, Clip(rdata_[0]), err));
          return false;
        }
        return true;
      }
      default:
        return true;
    }
  }

  void Directive(const Source& src, int depth, std::uint64_t line) {
    const std::string_view d = tokens_[0];
    if (EqualsUpper(d, "$ORIGIN")) {
      if (tokens_.size() != 2) {
        Issue(src.file, line, "$ORIGIN takes exactly one name");
        return;
      }
      std::string next;
      std::string err = CanonicalName(tokens_[1], origin_, has_origin_, next);
      if (!err.empty()) {
        Issue(src.file, line, fmt::format("$ORIGIN '{}': {}", Clip(tokens_[1]), err));
        return;
      }
      origin_ = std::move(next);
      has_origin_ = true;
      ++origin_gen_;
    } else if (EqualsUpper(d, "$TTL")) {
      std::uint32_t t = 0;
      if (tokens_.size() != 2 || !ParseTtl(tokens_[1], t)) {
        Issue(src.file, line, "$TTL takes one TTL (seconds or 1h2m style)");
        return;
      }
      default_ttl_ = t;
      has_default_ttl_ = true;
    } else if (EqualsUpper(d, "$INCLUDE")) {
      if (!options_.allow_include) {
        Issue(src.file, line, "$INCLUDE is refused (not allowed for this input)");
        return;
      }
      if (tokens_.size() < 2 || tokens_.size() > 3) {
        Issue(src.file, line, "$INCLUDE takes a file name and an optional origin");
        return;
      }
      if (depth >= 8) {
        Issue(src.file, line, "$INCLUDE nested more than 8 deep");
        return;
      }
      std::string name(tokens_[1]);
      if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
        name = name.substr(1, name.size() - 2);
      std::filesystem::path path(name);
      if (path.is_relative() && !src.dir.empty()) path = std::filesystem::path(src.dir) / path;
      // The included file starts with the given origin (or the current one);
      // after it, origin and owner revert (RFC 1035 5.1).
      const std::string saved_origin = origin_;
      const bool saved_has = has_origin_;
      const std::string saved_owner = owner_, saved_raw = last_owner_raw_;
      const bool saved_has_owner = has_owner_;
      if (tokens_.size() == 3) {
        std::string o;
        std::string err = CanonicalName(tokens_[2], origin_, has_origin_, o);
        if (!err.empty()) {
          Issue(src.file, line, fmt::format("$INCLUDE origin '{}': {}", Clip(tokens_[2]), err));
          return;
        }
        origin_ = o;
        has_origin_ = true;
      }
      ++origin_gen_;
      Status s = RunFile(path.string(), path.string(), depth + 1);
      if (!s) Issue(src.file, line, "$INCLUDE " + s.error().message);
      origin_ = saved_origin;
      has_origin_ = saved_has;
      owner_ = saved_owner;
      last_owner_raw_ = saved_raw;
      has_owner_ = saved_has_owner;
      ++origin_gen_;
    } else if (EqualsUpper(d, "$GENERATE")) {
      Issue(src.file, line, "$GENERATE is not supported");
    } else {
      Issue(src.file, line, fmt::format("unknown directive '{}'", Clip(d)));
    }
  }

 public:
  Status RunFile(const std::string& path, const std::string& display, int depth) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return Fail(ErrorCode::kNotFound,
                  fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    unsigned char magic[2] = {0, 0};
    const ssize_t m = ::pread(fd, magic, 2, 0);
    Source src{display, std::filesystem::path(path).parent_path().string()};
    if (m == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
      gzFile gz = gzdopen(fd, "rb");
      if (!gz) {
        ::close(fd);
        return Fail(ErrorCode::kInternal, "cannot start gzip reader on " + path);
      }
      gzbuffer(gz, 1u << 20);
      std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(gz, gzclose);
      return Run(
          src,
          [&](char* b, size_t cap) -> Result<size_t> {
            const unsigned chunk = static_cast<unsigned>(std::min<size_t>(cap, 1u << 30));
            const int r = gzread(gz, b, chunk);
            if (r < 0) {
              int code = 0;
              const char* msg = gzerror(gz, &code);
              return Fail(ErrorCode::kDataLoss,
                          fmt::format("{}: corrupt gzip data: {}", display, msg ? msg : "?"));
            }
            if (r == 0) {
              int code = Z_OK;
              const char* msg = gzerror(gz, &code);
              if (code != Z_OK || !gzeof(gz))
                return Fail(ErrorCode::kDataLoss,
                            fmt::format("{}: truncated or corrupt gzip data: {}", display,
                                        msg ? msg : "?"));
            }
            return static_cast<size_t>(r);
          },
          depth);
    }
    // Plain files are read into the buffer: mapping them was measured
    // slower (page faults cost more than the copy on a virtual machine: for
    // 136 MB, 0.37-0.41 CPU s read, 0.42 mapped and populated, 0.47-0.51
    // mapped).
    Status s = Run(
        src,
        [&](char* b, size_t cap) -> Result<size_t> {
          for (;;) {
            const ssize_t r = ::read(fd, b, cap);
            if (r >= 0) return static_cast<size_t>(r);
            if (errno == EINTR) continue;
            return Fail(ErrorCode::kUnavailable,
                        fmt::format("{}: read error: {}", display, std::strerror(errno)));
          }
        },
        depth);
    ::close(fd);
    return s;
  }

 private:
  const ZoneOptions& options_;
  const RecordFn& fn_;
  ZoneStats& stats_;
  std::vector<std::string_view> tokens_;
  std::vector<std::string_view> rdata_;
  std::string origin_;
  bool has_origin_ = false;
  std::uint64_t origin_gen_ = 0;
  std::string owner_, last_owner_raw_, scratch_;
  std::uint64_t owner_origin_gen_ = 0;
  bool has_owner_ = false;
  std::uint32_t default_ttl_ = 0, last_ttl_ = 0;
  bool has_default_ttl_ = false, have_last_ttl_ = false;
};

}  // namespace

std::string TypeName(std::uint16_t type) {
  for (const auto& t : kTypes)
    if (t.code == type) return std::string(t.name);
  return fmt::format("TYPE{}", type);
}

bool IsDnssecType(std::uint16_t t) {
  switch (t) {
    case 24:
    case 25:
    case 30:
    case rrtype::kDS:
    case rrtype::kRRSIG:
    case rrtype::kNSEC:
    case rrtype::kDNSKEY:
    case rrtype::kNSEC3:
    case rrtype::kNSEC3PARAM:
    case rrtype::kCDS:
    case rrtype::kCDNSKEY:
    case rrtype::kZONEMD:
    case 32769:
      return true;
    default:
      return false;
  }
}

std::vector<std::pair<std::string, std::uint64_t>> ZoneStats::RecordsByType() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (size_t i = 0; i < by_type.size(); ++i)
    if (by_type[i]) out.emplace_back(TypeName(static_cast<std::uint16_t>(i)), by_type[i]);
  return out;
}

namespace {
// Fast path: lower-case letters, digits, '-', '_', '*' and single dots, no
// escapes. Returns false when the slow path must decide. With `out` null,
// only checks (the name is valid when it returns true).
#if defined(__SSE2__)
// 16 bytes at a time: a mask of the bytes outside [a-z0-9-_*.], and the dots.
inline unsigned NotSimple(__m128i v, unsigned& dots) {
  const __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
  const __m128i x = _mm_sub_epi8(v, _mm_set1_epi8('a'));
  const __m128i lower = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(25)), x);
  const __m128i y = _mm_sub_epi8(v, _mm_set1_epi8('0'));
  const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(9)), y);
  const __m128i other = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')), _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))),
      _mm_cmpeq_epi8(v, _mm_set1_epi8('*')));
  dots = static_cast<unsigned>(_mm_movemask_epi8(dot));
  return ~static_cast<unsigned>(_mm_movemask_epi8(
             _mm_or_si128(_mm_or_si128(lower, digit), _mm_or_si128(other, dot)))) &
         0xffffu;
}

constexpr std::array<std::uint8_t, 256> MakeNameClass() {
  std::array<std::uint8_t, 256> t{};
  t.fill(2);  // needs the slow path
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = 0;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = 0;
  t['-'] = t['_'] = t['*'] = 0;
  t['.'] = 1;
  return t;
}
constexpr auto kNameClass = MakeNameClass();

bool SimpleName(std::string_view text, std::string_view origin, bool has_origin, std::string* out) {
  const char* p = text.data();
  const size_t n = text.size();
  if (n == 0 || n > 255) return false;
  bool absolute = false;
  if (n < 16) {
    // Short names byte by byte.
    size_t label = 0;
    for (size_t i = 0; i < n; ++i) {
      const std::uint8_t c = kNameClass[static_cast<unsigned char>(p[i])];
      if (c == 0) {
        ++label;
      } else if (c == 1 && label > 0) {
        label = 0;
      } else {
        return false;
      }
    }
    absolute = label == 0;
  } else if (n <= 63) {
    // Up to 63 bytes no label can be longer than 63: the masks of the whole
    // name (16-byte loads, the last one overlapping) tell everything.
    std::uint64_t bad = 0, dots = 0;
    for (size_t i = 0;; i += 16) {
      const size_t at = i + 16 <= n ? i : n - 16;
      unsigned d = 0;
      bad |= static_cast<std::uint64_t>(
                 NotSimple(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)), d))
             << at;
      dots |= static_cast<std::uint64_t>(d) << at;
      if (at + 16 >= n) break;
    }
    if (bad || (dots & ((dots << 1) | 1))) return false;  // an empty label
    absolute = (dots >> (n - 1)) & 1;
  } else {
    size_t label_start = 0;
    unsigned prev_dot = 1;  // the start of the name counts as a dot
    for (size_t i = 0; i < n; i += 16) {
      const size_t at = i + 16 <= n ? i : n - 16;  // the last load overlaps
      unsigned dots = 0;
      const unsigned fresh = 0xffffu << (i - at);  // bytes not seen before
      if (NotSimple(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at)), dots) & fresh)
        return false;
      dots &= fresh;
      if (dots & ((dots << 1) | (prev_dot << (i - at)))) return false;  // an empty label
      prev_dot = (dots >> 15) & 1u;
      for (unsigned d = dots; d; d &= d - 1) {
        const size_t pos = at + static_cast<size_t>(__builtin_ctz(d));
        if (pos - label_start > 63) return false;
        label_start = pos + 1;
      }
    }
    absolute = label_start == n;
    if (!absolute && n - label_start > 63) return false;
  }
  if (!absolute && !has_origin) return false;
  const size_t len = absolute ? n - 1 : n;
  // Wire length: presentation length + 2 (first length byte, root) when
  // there are no escapes; the origin may hold escapes, so count precisely
  // only when near the limit.
  const size_t total = absolute || origin.empty() ? len : len + 1 + origin.size();
  if (total + 2 > 255) return false;
  if (!out) return true;
  out->assign(p, len);
  if (!absolute && !origin.empty()) {
    *out += '.';
    *out += origin;
  }
  return true;
}
#else
constexpr std::array<bool, 256> MakeSimple() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[static_cast<size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<size_t>(c)] = true;
  t['-'] = t['_'] = t['*'] = true;
  return t;
}
constexpr auto kSimple = MakeSimple();

bool SimpleName(std::string_view text, std::string_view origin, bool has_origin, std::string* out) {
  if (text.empty()) return false;
  size_t label = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!kSimple[c] || ++label > 63) return false;
  }
  const bool absolute = label == 0;
  if (!absolute && !has_origin) return false;
  const size_t len = absolute ? text.size() - 1 : text.size();
  const size_t total = absolute || origin.empty() ? len : len + 1 + origin.size();
  if (total + 2 > 255) return false;
  if (!out) return true;
  out->assign(text.data(), len);
  if (!absolute && !origin.empty()) {
    *out += '.';
    *out += origin;
  }
  return true;
}
#endif
}  // namespace

std::string CanonicalName(std::string_view text, std::string_view origin, bool has_origin,
                          std::string& out) {
  if (SimpleName(text, origin, has_origin, &out)) return "";
  out.clear();
  if (text.empty()) return "empty name";
  if (text == ".") return "";
  size_t wire = 1;  // the root label
  size_t label = 0;
  bool absolute = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '.') {
      if (label == 0) return fmt::format("empty label at offset {}", i);
      if (i + 1 == text.size())
        absolute = true;
      else
        out += '.';
      label = 0;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return "name ends with a lone '\\'";
      const char n1 = text[i + 1];
      if (n1 >= '0' && n1 <= '9') {
        if (i + 3 >= text.size() || !(text[i + 2] >= '0' && text[i + 2] <= '9') ||
            !(text[i + 3] >= '0' && text[i + 3] <= '9'))
          return fmt::format("'\\DDD' escape needs three digits at offset {}", i);
        const int v = (n1 - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255)
          return fmt::format("'\\{}' is above 255 at offset {}", text.substr(i + 1, 3), i);
        c = static_cast<unsigned char>(v);
        i += 3;
      } else {
        c = static_cast<unsigned char>(n1);
        i += 1;
      }
    } else if (c <= 0x20 || c >= 0x7f) {
      // Raw bytes outside printable ASCII (e.g. UTF-8) are kept as \DDD.
    }
    if (label == 0) wire += 1;
    ++label;
    ++wire;
    if (label > 63) return "label longer than 63 bytes";
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
    if (RawNameByte(c)) {
      out += static_cast<char>(c);
    } else {
      char esc[5] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + (c / 10) % 10),
                     static_cast<char>('0' + c % 10), 0};
      out.append(esc, 4);
    }
  }
  if (!absolute) {
    if (!has_origin) return "relative name but no $ORIGIN is set";
    if (!origin.empty()) {
      out += '.';
      out += origin;
      // wire length of the origin: its presentation length + 1 minus escapes.
      size_t olen = 1;
      for (size_t i = 0; i < origin.size(); ++i) {
        if (origin[i] == '\\') i += 3;
        ++olen;
      }
      wire += olen;
    }
  }
  if (wire > 255) return "name longer than 255 bytes";
  return "";
}

bool IsBelow(std::string_view name, std::string_view apex) {
  if (apex.empty()) return !name.empty();
  if (name.size() <= apex.size() + 1) return false;
  if (name.substr(name.size() - apex.size()) != apex) return false;
  // The byte before the apex must be an unescaped '.': an escaped dot is
  // written "\046" in canonical form, so a '.' here is a label separator.
  return name[name.size() - apex.size() - 1] == '.';
}

std::uint64_t DelegationCounter::Fingerprint(std::string_view name) {
  // Eight bytes at a time: each step ((h ^ word) * odd, then h ^= h >> 29)
  // is a bijection of h, so two names of one length that differ in a single
  // word never collide; the length is mixed in first, the finaliser below
  // spreads the bits.
  const char* p = name.data();
  const size_t n = name.size();
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
  }
  if (i < n) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 29;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

bool DelegationCounter::Insert(std::uint64_t h) {
  if (h == 0) {
    if (has_zero_) return false;
    has_zero_ = true;
    return true;
  }
  if ((used_ + 1) * 2 > table_.size()) {
    std::vector<std::uint64_t> old = std::move(table_);
    table_.assign(std::max<size_t>(1024, old.size() * 2), 0);
    const size_t mask = table_.size() - 1;
    for (std::uint64_t v : old) {
      if (!v) continue;
      size_t i = v & mask;
      while (table_[i]) i = (i + 1) & mask;
      table_[i] = v;
    }
  }
  const size_t mask = table_.size() - 1;
  size_t i = h & mask;
  while (table_[i]) {
    if (table_[i] == h) return false;
    i = (i + 1) & mask;
  }
  table_[i] = h;
  ++used_;
  return true;
}

namespace {
// Label-aware order of canonical names: '.' sorts below every other byte,
// so that names of one depth compare as DNS canonical order does.
bool DotLess(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    const unsigned x = a[i] == '.' ? 0u : static_cast<unsigned char>(a[i]);
    const unsigned y = b[i] == '.' ? 0u : static_cast<unsigned char>(b[i]);
    return x < y;
  }
  return a.size() < b.size();
}
}  // namespace

bool DelegationCounter::Add(const ZoneRecord& r, std::string_view apex) {
  if (r.type != rrtype::kNS) return false;
  if (r.owner == last_) return false;
  if (!IsBelow(r.owner, apex)) return false;
  const std::uint64_t h = Fingerprint(r.owner);
  // Zones are usually sorted: while every delegated owner sorts after the
  // previous one it cannot have been seen before, and its fingerprint is
  // only appended to a vector (no random access into a large table). At the
  // first owner out of order the set is built from that vector.
  if (sorted_) {
    if (count_ == 0 || DotLess(last_, r.owner)) {
      last_.assign(r.owner);
      pending_.push_back(h);
      ++count_;
      return true;
    }
    sorted_ = false;
    for (std::uint64_t p : pending_) Insert(p);
    std::vector<std::uint64_t>().swap(pending_);
  }
  last_.assign(r.owner);
  if (!Insert(h)) return false;
  ++count_;
  return true;
}

Result<ZoneStats> ReadZoneFile(const std::string& path, const ZoneOptions& options,
                               const RecordFn& on_record) {
  ZoneStats stats;
  Parser parser(options, on_record, stats);
  const std::string display = options.display_name.empty() ? path : options.display_name;
  ENTENTE_CHECK(parser.RunFile(path, display, 0));
  return stats;
}

ZoneStats ParseZoneText(std::string_view text, const ZoneOptions& options,
                        const RecordFn& on_record) {
  ZoneStats stats;
  Parser parser(options, on_record, stats);
  Source src{options.display_name.empty() ? "<input>" : options.display_name, ""};
  Status s = parser.RunMemory(src, text.data(), text.size(), 0,
                              std::min<size_t>(text.size() + 1, std::size_t{8} << 20));
  if (!s) {
    ++stats.errors;
    stats.issues.push_back({src.file, 0, s.error().message});
  }
  return stats;
}

}  // namespace entente::dnsabuse
