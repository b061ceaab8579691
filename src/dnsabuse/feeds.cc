#include "dnsabuse/feeds.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <idn2.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <set>

#include "core/clock.h"
#include "dnsabuse/zone.h"

namespace entente::dnsabuse {
namespace {

constexpr std::size_t kMaxIssues = 1000;

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view FirstField(std::string_view s) {
  s = Trim(s);
  size_t e = 0;
  while (e < s.size() && s[e] != ' ' && s[e] != '\t') ++e;
  return s.substr(0, e);
}

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

bool IsIpLiteral(std::string_view host) {
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

}  // namespace

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kPhishing:
      return "phishing";
    case Category::kMalware:
      return "malware";
    case Category::kBotnetCc:
      return "botnet_cc";
    case Category::kSpam:
      return "spam";
  }
  return "?";
}

Result<Category> ParseCategory(std::string_view s) {
  for (int i = 0; i < kCategoryCount; ++i)
    if (CategoryName(static_cast<Category>(i)) == s) return static_cast<Category>(i);
  return Invalid(fmt::format("unknown category '{}' (phishing, malware, botnet_cc, spam)", s),
                 "category");
}

std::string_view FeedFormatName(FeedFormat f) {
  switch (f) {
    case FeedFormat::kDomains:
      return "domains";
    case FeedFormat::kUrls:
      return "urls";
    case FeedFormat::kHosts:
      return "hosts";
    case FeedFormat::kCsv:
      return "csv";
    case FeedFormat::kRpz:
      return "rpz";
  }
  return "?";
}

Result<FeedSpec> ParseFeedSpec(std::string_view spec) {
  FeedSpec out;
  std::string_view parts[3];
  std::string_view rest = spec;
  for (auto& p : parts) {
    const size_t c = rest.find(':');
    if (c == std::string_view::npos)
      return Invalid(fmt::format("feed '{}' is not category:source:format:FILE", spec), "feed");
    p = rest.substr(0, c);
    rest.remove_prefix(c + 1);
  }
  out.category = ENTENTE_TRY(ParseCategory(parts[0]));
  if (parts[1].empty() || parts[1].size() > 64 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      }))
    return Invalid(fmt::format("feed source '{}' must be 1-64 of a-z 0-9 . _ -", parts[1]),
                   "source");
  out.source = std::string(parts[1]);
  const std::string_view f = parts[2];
  if (f == "domains")
    out.format = FeedFormat::kDomains;
  else if (f == "urls")
    out.format = FeedFormat::kUrls;
  else if (f == "hosts")
    out.format = FeedFormat::kHosts;
  else if (f == "rpz")
    out.format = FeedFormat::kRpz;
  else if (f.starts_with("csv")) {
    out.format = FeedFormat::kCsv;
    for (char c : f.substr(3)) {
      if (c < '0' || c > '9' || out.csv_column > 1000)
        return Invalid(fmt::format("feed format '{}': csv or csvN (column N, 1-based)", f),
                       "format");
      out.csv_column = out.csv_column * 10 + (c - '0');
    }
    if (f.size() > 3 && out.csv_column == 0)
      return Invalid("feed format csv0: columns count from 1", "format");
  } else {
    return Invalid(
        fmt::format("unknown feed format '{}' (domains, urls, hosts, csv, csvN, rpz)", f),
        "format");
  }
  if (rest.empty()) return Invalid(fmt::format("feed '{}' names no file", spec), "feed");
  out.path = std::string(rest);
  return out;
}

// ---- normaliser ----------------------------------------------------------------

DomainNormalizer::DomainNormalizer() {
  // The text list beside the distribution file: its rules give the deep
  // suffixes, and libpsl reads the same file so both agree.
  if (const char* dist = psl_dist_filename(); dist && *dist) {
    std::string dat = dist;
    if (dat.ends_with(".dafsa")) dat = dat.substr(0, dat.size() - 6) + ".dat";
    if (dat.ends_with(".dat") && LoadRules(dat)) {
      owned_ = psl_load_file(dat.c_str());
      if (owned_) {
        psl_ = owned_;
        source_ = fmt::format("system ({})", dat);
        BuildRuleTable();
        return;
      }
      rules_.clear();
    }
  }
  owned_ = psl_latest(nullptr);
  if (owned_) {
    psl_ = owned_;
    const char* dist = psl_dist_filename();
    source_ = fmt::format("system ({})", dist && *dist ? dist : "distribution file");
  } else {
    psl_ = psl_builtin();
    source_ = "builtin";
  }
}

DomainNormalizer::~DomainNormalizer() {
  if (owned_) psl_free(owned_);
}

bool DomainNormalizer::LoadRules(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      close(fd);
      return false;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t pos = 0, rules = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    const size_t ws = line.find_first_of(" \t\r");
    if (ws != std::string_view::npos) line = line.substr(0, ws);
    if (line.empty() || line.starts_with("//")) continue;
    const bool exception = line.starts_with("!");
    if (exception) line.remove_prefix(1);
    std::string rule(line);
    const bool star = rule.starts_with("*.");
    if (star) rule.erase(0, 2);
    if (!std::all_of(rule.begin(), rule.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
      char* out = nullptr;  // U-labels to A-labels, as hosts are
      if (idn2_to_ascii_8z(rule.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK) {
        rules_.clear();  // a rule this code cannot place: no memo at all
        return false;
      }
      rule = out;
      idn2_free(out);
    }
    for (char& c : rule) c = Lower(c);
    if (rule.empty() || rule.find('*') != std::string::npos) {
      rules_.clear();  // a wildcard elsewhere than first: not handled
      return false;
    }
    ++rules;
    // libpsl counts the parent of a wildcard ("kawasaki.jp" for
    // "*.kawasaki.jp") as a public suffix too.
    rules_[rule] |= exception ? kRuleException : star ? kRuleWildcard | kRuleExact : kRuleExact;
    // Every proper suffix of the rule (with its wildcard label) has a rule
    // below it.
    if (star) rules_[rule] |= kRuleDeep;
    for (size_t dot = rule.find('.'); dot != std::string::npos; dot = rule.find('.', dot + 1))
      rules_[rule.substr(dot + 1)] |= kRuleDeep;
  }
  if (rules < 1000) rules_.clear();  // not a Public Suffix List
  return !rules_.empty();
}

std::vector<std::string> DomainNormalizer::KnownSuffixes() const {
  std::vector<std::string> out;
  out.reserve(rules_.size());
  for (const auto& [suffix, flags] : rules_) out.push_back(suffix);
  std::sort(out.begin(), out.end());
  return out;
}

void DomainNormalizer::BuildRuleTable() {
  size_t cap = 1024;
  while (cap < rules_.size() * 2) cap *= 2;
  rule_table_.assign(cap, RuleSlot{});
  rule_names_.clear();
  const size_t mask = cap - 1;
  for (const auto& [suffix, flags] : rules_) {
    const std::uint64_t h = DelegationCounter::Fingerprint(suffix) | 1;
    size_t i = h & mask;
    while (rule_table_[i].fp) i = (i + 1) & mask;
    rule_table_[i] = {h, static_cast<std::uint32_t>(rule_names_.size()),
                      static_cast<std::uint32_t>(suffix.size()), flags};
    rule_names_ += suffix;
  }
}

std::uint8_t DomainNormalizer::RuleFlags(std::string_view suffix) const {
  if (rule_table_.empty()) return 0;
  const std::uint64_t h = DelegationCounter::Fingerprint(suffix) | 1;
  const size_t mask = rule_table_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const RuleSlot& s = rule_table_[i];
    if (s.fp == 0) return 0;
    if (s.fp == h && s.len == suffix.size() &&
        std::memcmp(rule_names_.data() + s.off, suffix.data(), s.len) == 0)
      return s.flags;
  }
}

int DomainNormalizer::PublicSuffixLabels(std::string_view suffix) const {
  auto it = memo_.find(suffix);
  if (it != memo_.end()) return it->second;
  const std::string s(suffix);
  const auto labels = [](std::string_view v) {
    return static_cast<int>(std::count(v.begin(), v.end(), '.')) + 1;
  };
  int n = labels(s);
  if (!psl_is_public_suffix(psl_, s.c_str())) {
    const char* reg = psl_registrable_domain(psl_, s.c_str());
    n = reg ? labels(reg) - 1 : n;
  }
  if (memo_.size() >= (size_t{1} << 16)) memo_.clear();
  memo_.emplace(s, n);
  return n;
}

std::optional<std::string> DomainNormalizer::Registrable(const std::string& host, bool memo) const {
  if (!memo || rules_.empty()) {
    const char* reg = psl_registrable_domain(psl_, host.c_str());
    return reg ? std::optional<std::string>(reg) : std::nullopt;
  }
  const std::string_view h(host);
  constexpr size_t npos = std::string_view::npos;
  // Start of the last `k` labels of h, for k = 1, 2, ...
  const auto start_of = [&](size_t dot) { return dot == npos ? 0 : dot + 1; };
  size_t d1 = h.rfind('.');  // the dot before the last label
  if (d1 == npos || d1 == 0) return std::nullopt;
  for (;;) {
    // S_{k-1} = h.substr(d1 + 1); S_k = h.substr(start_of(d0)).
    const size_t d0 = h.rfind('.', d1 - 1);
    const std::string_view sk = h.substr(start_of(d0));
    const std::uint8_t flags = RuleFlags(sk);
    if ((flags & kRuleDeep) && d0 != npos && d0 != 0) {
      d1 = d0;
      continue;
    }
    const std::string_view parent = h.substr(d1 + 1);
    if (flags & kRuleException) return std::string(sk);  // its parent is the public suffix
    if ((flags & kRuleExact) || (RuleFlags(parent) & kRuleWildcard)) {
      if (d0 == npos || d0 == 0) return std::nullopt;  // the host is a public suffix
      const size_t dm = h.rfind('.', d0 - 1);
      return std::string(h.substr(start_of(dm)));
    }
    // No rule of k labels or more applies: the public suffix is S_{k-1}'s.
    const int ps = PublicSuffixLabels(parent);
    size_t begin = h.size();  // start of the last i labels
    for (int i = 0; i <= ps && begin > 0; ++i) {
      const size_t dot = begin == h.size() ? h.rfind('.')
                         : begin >= 2      ? h.rfind('.', begin - 2)
                                           : npos;
      begin = dot == npos ? 0 : dot + 1;
    }
    return std::string(h.substr(begin));
  }
}

DomainNormalizer::Result DomainNormalizer::FromHost(std::string_view in) const {
  Result r;
  std::string_view h = Trim(in);
  if (h.empty()) {
    r.error = "empty name";
    return r;
  }
  if (!ValidUtf8(h)) {
    r.error = "not valid UTF-8";
    return r;
  }
  if (IsIpLiteral(h)) {
    r.kind = Kind::kIp;
    r.host = ToLower(h);
    return r;
  }
  if (h.starts_with("*."))
    h.remove_prefix(2);
  else if (h.starts_with("."))
    h.remove_prefix(1);
  if (!h.empty() && h.back() == '.') h.remove_suffix(1);
  if (h.empty()) {
    r.error = "empty name";
    return r;
  }
  std::string host;
  const bool ascii =
      std::all_of(h.begin(), h.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    host = ToLower(h);
  } else {
    std::string z(h);
    char* out = nullptr;
    const int rc = idn2_to_ascii_8z(z.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) {
      r.error = fmt::format("invalid internationalised name ({})", idn2_strerror(rc));
      return r;
    }
    host = out;
    idn2_free(out);
    for (char& c : host) c = Lower(c);
  }
  if (host.size() > 253) {
    r.error = "name longer than 253 characters";
    return r;
  }
  size_t label = 0;
  bool dot = false;
  for (size_t i = 0; i < host.size(); ++i) {
    const char c = host[i];
    if (c == '.') {
      if (label == 0) {
        r.error = fmt::format("empty label at offset {}", i);
        return r;
      }
      label = 0;
      dot = true;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      r.error = fmt::format("character '{}' at offset {} is not allowed in a domain name",
                            (c >= 0x20 && c < 0x7f)
                                ? std::string(1, c)
                                : fmt::format("\\x{:02x}", static_cast<unsigned char>(c)),
                            i);
      return r;
    }
    if (++label > 63) {
      r.error = "label longer than 63 characters";
      return r;
    }
  }
  if (label == 0) {
    r.error = "empty label at the end";
    return r;
  }
  if (!dot) {
    r.error = fmt::format("'{}' is a single label, not a registrable domain", host);
    return r;
  }
  auto reg = Registrable(host);
  if (!reg) {
    r.error = fmt::format("'{}' is a public suffix, not a registrable domain", host);
    return r;
  }
  r.registrable = std::move(*reg);
  r.host = std::move(host);
  r.kind = Kind::kDomain;
  return r;
}

DomainNormalizer::Result DomainNormalizer::FromUrl(std::string_view url) const {
  std::string_view u = Trim(url);
  const size_t scheme = u.find("://");
  if (scheme != std::string_view::npos) {
    const std::string_view s = u.substr(0, scheme);
    const bool ok = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '+' || c == '-' || c == '.';
    });
    if (!ok) {
      Result r;
      r.error = "malformed URL scheme";
      return r;
    }
    u.remove_prefix(scheme + 3);
  }
  size_t end = u.find_first_of("/?#");
  std::string_view authority = u.substr(0, end == std::string_view::npos ? u.size() : end);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) {
      Result r;
      r.error = "unclosed '[' in URL host";
      return r;
    }
    host = host.substr(0, close + 1);
  } else {
    const size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) {
      const std::string_view port = host.substr(colon + 1);
      if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          port.size() > 5) {
        Result r;
        r.error = "malformed port in URL";
        return r;
      }
      host = host.substr(0, colon);
    }
  }
  if (host.empty()) {
    Result r;
    r.error = "URL without a host";
    return r;
  }
  // Percent-encoded hosts are decoded (RFC 3986 allows them in reg-name).
  if (host.find('%') != std::string_view::npos) {
    std::string dec;
    for (size_t i = 0; i < host.size(); ++i) {
      if (host[i] == '%' && i + 2 < host.size() &&
          std::isxdigit(static_cast<unsigned char>(host[i + 1])) &&
          std::isxdigit(static_cast<unsigned char>(host[i + 2]))) {
        dec += static_cast<char>(std::stoi(std::string(host.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        dec += host[i];
      }
    }
    return FromHost(dec);
  }
  return FromHost(host);
}

std::string_view TldOf(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// ---- files -------------------------------------------------------------------

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  for (unsigned i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
  return out;
}

Result<std::string> ReadInputFile(const std::string& path, std::uint64_t max_bytes) {
  gzFile gz = gzopen(path.c_str(), "rb");  // also reads plain files
  if (!gz)
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(gz, gzclose);
  gzbuffer(gz, 1u << 20);
  std::string out;
  std::vector<char> buf(1u << 20);
  for (;;) {
    const int r = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()));
    if (r < 0) {
      int code = 0;
      return Fail(ErrorCode::kDataLoss,
                  fmt::format("{}: corrupt gzip data: {}", path, gzerror(gz, &code)));
    }
    if (r == 0) {
      int code = Z_OK;
      const char* msg = gzerror(gz, &code);
      if (code != Z_OK)
        return Fail(ErrorCode::kDataLoss, fmt::format("{}: truncated gzip data: {}", path, msg));
      break;
    }
    out.append(buf.data(), static_cast<size_t>(r));
    if (out.size() > max_bytes)
      return Fail(ErrorCode::kResourceExhausted,
                  fmt::format("{} is larger than {} bytes", path, max_bytes));
  }
  return out;
}

bool SplitCsv(std::string_view line, std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  size_t i = 0;
  for (;;) {
    std::string f;
    if (i < line.size() && line[i] == '"') {
      ++i;
      for (;;) {
        if (i >= line.size()) {
          error = "quoted field not closed";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f += line[i++];
      }
      if (i < line.size() && line[i] != ',') {
        error = fmt::format("text after a closing quote at offset {}", i);
        return false;
      }
    } else {
      const size_t c = line.find(',', i);
      f.assign(line.substr(i, c == std::string_view::npos ? line.size() - i : c - i));
      i = c == std::string_view::npos ? line.size() : c;
    }
    fields.push_back(std::move(f));
    if (i >= line.size()) return true;
    ++i;  // the comma
    if (i == line.size()) {
      fields.emplace_back();
      return true;
    }
  }
}

// ---- feeds ---------------------------------------------------------------------

namespace {

class FeedBuilder {
 public:
  FeedBuilder(FeedData& d, const DomainNormalizer& n) : d_(d), n_(n) {}

  void Bad(std::uint64_t line, std::string msg) {
    ++d_.invalid;
    if (d_.issues.size() < kMaxIssues) d_.issues.push_back({line, std::move(msg)});
  }

  // `value` is a host or (is_url) a URL found on `line`.
  void Add(std::uint64_t line, std::string_view value, bool is_url) {
    auto r = is_url ? n_.FromUrl(value) : n_.FromHost(value);
    if (r.kind == DomainNormalizer::Kind::kInvalid) {
      std::string shown;
      for (char c : value.substr(0, 80)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
      Bad(line, fmt::format("'{}' is not a {}: {}", shown, is_url ? "URL" : "domain", r.error));
      return;
    }
    if (r.kind == DomainNormalizer::Kind::kIp) {
      ++d_.ip_only;
      return;
    }
    ++d_.listed;
    if (!Insert(r.registrable)) {
      ++d_.duplicates;
      return;
    }
    d_.entries.push_back({std::move(r.registrable), std::string(value), line});
  }

 private:
  // De-duplication of registrable domains: an open-addressing table of
  // 64-bit fingerprints (DelegationCounter::Fingerprint) and entry indexes;
  // equal fingerprints are confirmed on the stored name, so a collision
  // never merges two domains. False when `name` is already an entry.
  bool Insert(const std::string& name) {
    if ((used_ + 1) * 2 > keys_.size()) Grow();
    std::uint64_t h = DelegationCounter::Fingerprint(name);
    if (h == 0) h = 1;
    const size_t mask = keys_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (keys_[i] == 0) {
        keys_[i] = h;
        vals_[i] = static_cast<std::uint32_t>(d_.entries.size());
        ++used_;
        return true;
      }
      if (keys_[i] == h && d_.entries[vals_[i]].registrable == name) return false;
    }
  }
  void Grow() {
    std::vector<std::uint64_t> keys(std::max<size_t>(1024, keys_.size() * 2), 0);
    std::vector<std::uint32_t> vals(keys.size(), 0);
    const size_t mask = keys.size() - 1;
    for (size_t j = 0; j < keys_.size(); ++j) {
      if (keys_[j] == 0) continue;
      size_t i = keys_[j] & mask;
      while (keys[i] != 0) i = (i + 1) & mask;
      keys[i] = keys_[j];
      vals[i] = vals_[j];
    }
    keys_.swap(keys);
    vals_.swap(vals);
  }

  FeedData& d_;
  const DomainNormalizer& n_;
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint32_t> vals_;
  size_t used_ = 0;
};

bool IsCommentOrBlank(std::string_view t) {
  return t.empty() || t[0] == '#' || t[0] == ';' || t.starts_with("//") || t[0] == '!';
}

void ParseRpz(std::string_view text, FeedData& d, FeedBuilder& b) {
  std::string apex;
  bool have_apex = false;
  std::string last_owner;
  ZoneOptions opt;
  opt.display_name = d.spec.path;
  ZoneStats s = ParseZoneText(text, opt, [&](const ZoneRecord& r) {
    if (!have_apex) {
      if (r.type == rrtype::kSOA) {
        apex.assign(r.owner);
        have_apex = true;
      } else {
        b.Bad(r.line, "RPZ record before the SOA record");
      }
      return;
    }
    if (r.owner == apex) {
      ++d.skipped;  // SOA / NS of the policy zone itself
      return;
    }
    if (!IsBelow(r.owner, apex)) {
      b.Bad(r.line, fmt::format("owner '{}' is outside the policy zone '{}'", r.owner, apex));
      return;
    }
    if (r.owner == last_owner) return;  // more records for the same trigger
    last_owner.assign(r.owner);
    std::string_view trigger =
        r.owner.substr(0, r.owner.size() - apex.size() - (apex.empty() ? 0 : 1));
    for (std::string_view special : {".rpz-ip", ".rpz-nsdname", ".rpz-nsip", ".rpz-client-ip"}) {
      if (trigger.ends_with(special) || trigger == special.substr(1)) {
        ++d.skipped;
        return;
      }
    }
    b.Add(r.line, trigger, false);
  });
  for (const auto& i : s.issues) b.Bad(i.line, i.message);
  for (std::uint64_t k = s.issues.size(); k < s.errors; ++k) b.Bad(0, "zone syntax error");
  d.lines = static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

FeedData ParseFeedText(std::string_view text, const FeedSpec& spec,
                       const DomainNormalizer& normalizer) {
  FeedData d;
  d.spec = spec;
  d.bytes = text.size();
  FeedBuilder b(d, normalizer);
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);  // UTF-8 byte-order mark
  if (spec.format == FeedFormat::kRpz) {
    ParseRpz(text, d, b);
    return d;
  }
  int column = spec.csv_column - 1;  // -1: decide from the first line
  std::vector<std::string> fields;
  std::string error;
  size_t pos = 0;
  std::uint64_t line = 0;
  while (pos < text.size()) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t end =
        nl ? static_cast<size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    const std::string_view t = Trim(raw);
    if (t.find('\0') != std::string_view::npos) {
      b.Bad(line, "line holds a NUL byte (binary or UTF-16 input?)");
      continue;
    }
    if (spec.format != FeedFormat::kCsv && IsCommentOrBlank(t)) {
      ++d.skipped;
      continue;
    }
    switch (spec.format) {
      case FeedFormat::kDomains: {
        std::string_view f = FirstField(t);
        if (f.find('/') != std::string_view::npos || f.find("://") != std::string_view::npos) {
          b.Bad(line, "a URL or path in a domain list");
          break;
        }
        b.Add(line, f, false);
        break;
      }
      case FeedFormat::kUrls:
        b.Add(line, FirstField(t), true);
        break;
      case FeedFormat::kHosts: {
        std::string_view rest = t;
        const size_t hash = rest.find('#');
        if (hash != std::string_view::npos) rest = Trim(rest.substr(0, hash));
        std::string_view ip = FirstField(rest);
        if (!IsIpLiteral(ip)) {
          b.Bad(line, fmt::format("hosts line does not start with an IP address"));
          break;
        }
        rest = Trim(rest.substr(ip.size()));
        if (rest.empty()) {
          b.Bad(line, "hosts line without a name");
          break;
        }
        while (!rest.empty()) {
          std::string_view name = FirstField(rest);
          rest = Trim(rest.substr(name.size()));
          const std::string lower = ToLower(name);
          if (lower == "localhost" || lower == "localhost.localdomain" || lower == "local" ||
              lower == "broadcasthost" || lower.starts_with("ip6-") || lower == "0.0.0.0") {
            ++d.skipped;
            continue;
          }
          b.Add(line, name, false);
        }
        break;
      }
      case FeedFormat::kCsv: {
        if (t.empty() || t[0] == '#') {
          ++d.skipped;
          break;
        }
        if (!SplitCsv(raw.ends_with('\r') ? raw.substr(0, raw.size() - 1) : raw, fields, error)) {
          b.Bad(line, "CSV: " + error);
          break;
        }
        if (line == 1 || column < 0) {
          // A header row names the column; otherwise the first column.
          bool header = false;
          for (size_t i = 0; i < fields.size(); ++i) {
            const std::string h = ToLower(Trim(fields[i]));
            if (h == "domain" || h == "url" || h == "host" || h == "hostname" || h == "fqdn" ||
                h == "domain_name") {
              if (column < 0) column = static_cast<int>(i);
              header = true;
              break;
            }
          }
          if (column < 0) column = 0;
          if (header) {
            ++d.skipped;
            break;
          }
        }
        if (static_cast<size_t>(column) >= fields.size()) {
          b.Bad(line, fmt::format("CSV row has {} column{}, the feed reads column {}",
                                  fields.size(), fields.size() == 1 ? "" : "s", column + 1));
          break;
        }
        const std::string_view v = Trim(fields[static_cast<size_t>(column)]);
        b.Add(line, v,
              v.find("://") != std::string_view::npos || v.find('/') != std::string_view::npos);
        break;
      }
      case FeedFormat::kRpz:
        break;
    }
  }
  d.lines = line;
  return d;
}

Result<FeedData> ReadFeed(const FeedSpec& spec, const DomainNormalizer& normalizer) {
  std::string text = ENTENTE_TRY(ReadInputFile(spec.path, std::uint64_t{4} << 30));
  if (text.starts_with("\xff\xfe") || text.starts_with("\xfe\xff"))
    return Invalid(
        fmt::format("{}: UTF-16 input (byte-order mark); convert it to UTF-8", spec.path), "feed");
  FeedData d = ParseFeedText(text, spec, normalizer);
  d.sha256 = Sha256Hex(text);
  return d;
}

// ---- registrations ------------------------------------------------------------

std::optional<std::int32_t> ParseDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int v[3] = {0, 0, 0};
  const size_t starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < lens[k]; ++i) {
      const char c = s[starts[k] + i];
      if (c < '0' || c > '9') return std::nullopt;
      v[k] = v[k] * 10 + (c - '0');
    }
  const std::chrono::year_month_day ymd{std::chrono::year{v[0]},
                                        std::chrono::month{static_cast<unsigned>(v[1])},
                                        std::chrono::day{static_cast<unsigned>(v[2])}};
  if (!ymd.ok() || v[0] < 1970) return std::nullopt;
  return static_cast<std::int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

std::string FormatDay(std::int32_t day) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

RegistrarList ParseRegistrars(std::string_view text) {
  RegistrarList out;
  out.sha256 = Sha256Hex(text);
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  std::vector<std::string> f;
  std::string err;
  size_t pos = 0;
  std::uint64_t line = 0;
  auto bad = [&](std::string m) {
    ++out.invalid;
    if (out.issues.size() < kMaxIssues) out.issues.push_back({line, std::move(m)});
  };
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    std::string_view raw =
        text.substr(pos, (nl == std::string_view::npos ? text.size() : nl) - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (Trim(raw).empty() || Trim(raw)[0] == '#') continue;
    if (!SplitCsv(raw, f, err)) {
      bad("CSV: " + err);
      continue;
    }
    if (line == 1 && !f.empty() &&
        !std::isdigit(static_cast<unsigned char>(Trim(f[0]).empty() ? 'x' : Trim(f[0])[0])))
      continue;  // header
    if (f.size() < 2) {
      bad("registrar row needs iana_id,name[,abuse_email]");
      continue;
    }
    Registrar r;
    const std::string_view id = Trim(f[0]);
    if (id.empty() || id.size() > 9 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bad(fmt::format("registrar id '{}' is not a number", id.substr(0, 20)));
      continue;
    }
    r.iana_id = std::stoll(std::string(id));
    r.name = std::string(Trim(f[1]));
    if (f.size() > 2) r.abuse_email = std::string(Trim(f[2]));
    if (!out.by_id.emplace(r.iana_id, r).second)
      bad(fmt::format("registrar id {} listed twice", r.iana_id));
  }
  return out;
}

const Registration* RegistrationData::Find(std::string_view domain) const {
  if (table_.empty()) return nullptr;
  std::uint64_t h = DelegationCounter::Fingerprint(domain);
  if (h == 0) h = 1;
  const size_t mask = table_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    if (table_[i].fp == h) return &table_[i].reg;
    if (table_[i].fp == 0) return nullptr;
  }
}

void RegistrationData::Insert(std::uint64_t h, Registration r, bool& inserted) {
  if (h == 0) h = 1;
  if ((used_ + 1) * 2 > table_.size()) {
    std::vector<Slot> old = std::move(table_);
    table_.assign(std::max<size_t>(1024, old.size() * 2), Slot{});
    const size_t mask = table_.size() - 1;
    for (const Slot& s : old) {
      if (!s.fp) continue;
      size_t i = s.fp & mask;
      while (table_[i].fp) i = (i + 1) & mask;
      table_[i] = s;
    }
  }
  const size_t mask = table_.size() - 1;
  size_t i = h & mask;
  while (table_[i].fp) {
    if (table_[i].fp == h) {
      inserted = false;
      return;
    }
    i = (i + 1) & mask;
  }
  table_[i] = {h, r};
  ++used_;
  inserted = true;
}

RegistrationData ParseRegistrations(std::string_view text, const RegistrarList* registrars,
                                    const DomainNormalizer& normalizer) {
  RegistrationData out;
  out.sha256 = Sha256Hex(text);
  if (text.starts_with("\xef\xbb\xbf")) text.remove_prefix(3);
  std::vector<std::string> f;
  std::string err;
  size_t pos = 0;
  std::uint64_t line = 0;
  int c_domain = -1, c_registrar = -1, c_created = -1;
  std::set<std::int64_t> ids;
  auto bad = [&](std::string m) {
    ++out.invalid;
    if (out.issues.size() < kMaxIssues) out.issues.push_back({line, std::move(m)});
  };
  while (pos < text.size()) {
    const void* nlp = std::memchr(text.data() + pos, '\n', text.size() - pos);
    const size_t nl =
        nlp ? static_cast<size_t>(static_cast<const char*>(nlp) - text.data()) : text.size();
    std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    if (Trim(raw).empty() || Trim(raw)[0] == '#') continue;
    if (!SplitCsv(raw, f, err)) {
      bad("CSV: " + err);
      continue;
    }
    if (c_domain < 0) {
      for (size_t i = 0; i < f.size(); ++i) {
        const std::string h = ToLower(Trim(f[i]));
        if (h == "domain" || h == "domain_name" || h == "name")
          c_domain = static_cast<int>(i);
        else if (h == "registrar_id" || h == "registrar" || h == "iana_id")
          c_registrar = static_cast<int>(i);
        else if (h == "created" || h == "creation_date" || h == "created_date")
          c_created = static_cast<int>(i);
      }
      if (c_domain < 0 || c_registrar < 0) {
        bad("the first row must be a header naming the columns domain and registrar_id (and "
            "optionally created)");
        return out;
      }
      continue;
    }
    const size_t need = static_cast<size_t>(std::max({c_domain, c_registrar, c_created})) + 1;
    if (f.size() < need) {
      bad(fmt::format("row has {} columns, {} expected", f.size(), need));
      continue;
    }
    ++out.rows;
    auto host = normalizer.FromHost(f[static_cast<size_t>(c_domain)]);
    if (host.kind != DomainNormalizer::Kind::kDomain) {
      bad(fmt::format("domain '{}': {}", Trim(f[static_cast<size_t>(c_domain)]).substr(0, 80),
                      host.kind == DomainNormalizer::Kind::kIp ? "an IP address" : host.error));
      continue;
    }
    Registration r;
    const std::string_view id = Trim(f[static_cast<size_t>(c_registrar)]);
    if (id.empty() || id.size() > 9 ||
        !std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      bad(fmt::format("registrar id '{}' is not a number", id.substr(0, 20)));
      continue;
    }
    r.registrar = std::stoll(std::string(id));
    if (c_created >= 0) {
      const std::string_view cr = Trim(f[static_cast<size_t>(c_created)]);
      if (!cr.empty()) {
        std::optional<std::int32_t> day = ParseDay(cr.substr(0, std::min<size_t>(cr.size(), 10)));
        if (cr.size() > 10) {
          auto ms = ParseRfc3339(cr);
          day = ms ? std::optional<std::int32_t>(static_cast<std::int32_t>(*ms / 86400000))
                   : std::nullopt;
        }
        if (!day) {
          bad(fmt::format("creation date '{}' is not YYYY-MM-DD or RFC 3339", cr.substr(0, 40)));
          continue;
        }
        r.created_day = *day;
      }
    }
    if (registrars && !registrars->by_id.contains(r.registrar)) {
      ++out.unknown_registrar;
      if (out.issues.size() < kMaxIssues)
        out.issues.push_back(
            {line, fmt::format("registrar id {} of {} is not in the registrar list "
                               "(counted under that id, named 'unknown')",
                               r.registrar, host.host)});
    }
    bool inserted = false;
    out.Insert(DelegationCounter::Fingerprint(host.host), r, inserted);
    if (!inserted) {
      ++out.duplicates;
      if (out.issues.size() < kMaxIssues)
        out.issues.push_back(
            {line, fmt::format("{} registered twice; the first row is kept", host.host)});
      continue;
    }
    ids.insert(r.registrar);
  }
  out.registrar_ids.assign(ids.begin(), ids.end());
  return out;
}

}  // namespace entente::dnsabuse
