#include "match/normalize.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <idn2.h>

#include <cstdlib>
#include <cstring>

#include "jcs/jcs.h"

namespace entente::match {
namespace {

inline char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Checks label syntax of an ASCII, lowercased name without trailing dot.
Status CheckLabels(std::string_view name) {
  if (name.empty()) return Invalid("empty domain name");
  if (name.size() > 253)
    return Invalid(fmt::format("domain name longer than 253 bytes ({})", name.size()));
  size_t start = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      size_t len = i - start;
      if (len == 0) return Invalid(fmt::format("empty label at offset {}", start));
      if (len > 63) return Invalid(fmt::format("label longer than 63 bytes at offset {}", start));
      start = i + 1;
    } else if (!IsHostChar(name[i])) {
      return Invalid(fmt::format("invalid character 0x{:02x} in domain name at offset {}",
                                 static_cast<unsigned char>(name[i]), i));
    }
  }
  return Ok();
}

}  // namespace

bool NormalizeDomainFast(std::string_view in, std::string& out) {
  if (!in.empty() && in.back() == '.') in.remove_suffix(1);
  if (in.empty() || in.size() > 253) return false;
  out.resize(in.size());
  size_t label = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = Lower(in[i]);
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else {
      if (!IsHostChar(c) || ++label > 63) return false;
      // "xn--" labels take the slow path, which validates the Punycode.
      if (label == 4 && c == '-' && in[i - 1] == '-' && Lower(in[i - 2]) == 'n' &&
          Lower(in[i - 3]) == 'x')
        return false;
    }
    out[i] = c;
  }
  return label != 0;
}

Result<std::string> NormalizeDomain(std::string_view in) {
  std::string out;
  if (NormalizeDomainFast(in, out)) return out;
  if (in.empty()) return Invalid("empty domain name");
  if (in.find('\0') != std::string_view::npos) return Invalid("NUL byte in domain name");
  if (!jcs::IsValidUtf8(in)) return Invalid("domain name is not valid UTF-8");
  std::string_view trimmed = in;
  if (trimmed.back() == '.') trimmed.remove_suffix(1);
  if (trimmed.size() > 1024) return Invalid("domain name too long");
  bool ascii = true;
  for (char c : trimmed) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  std::string lowered(trimmed);
  for (char& c : lowered) c = Lower(c);
  if (ascii) {
    ENTENTE_CHECK(CheckLabels(lowered));
    // Validate the A-labels by decoding them.
    char* u = nullptr;
    int rc = idn2_to_unicode_8z8z(lowered.c_str(), &u, 0);
    std::free(u);
    if (rc != IDN2_OK)
      return Invalid(fmt::format("invalid IDNA A-label in domain name: {}", idn2_strerror(rc)));
    return lowered;
  }
  char* a = nullptr;
  int rc = idn2_to_ascii_8z(lowered.c_str(), &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) {
    std::free(a);
    return Invalid(fmt::format("invalid internationalised domain name: {}", idn2_strerror(rc)));
  }
  std::string result(a);
  std::free(a);
  for (char& c : result) c = Lower(c);
  ENTENTE_CHECK(CheckLabels(result));
  return result;
}

std::string IpPrefix::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, addr.data(), buf, sizeof buf);
  if (prefix == MaxPrefix()) return buf;
  return fmt::format("{}/{}", buf, prefix);
}

IpPrefix Masked(const IpPrefix& p, int len) {
  IpPrefix m = p;
  m.prefix = static_cast<std::uint8_t>(len);
  for (int i = 0; i < 16; ++i) {
    int bits = len - i * 8;
    if (bits >= 8) continue;
    m.addr[i] = bits <= 0 ? 0 : static_cast<std::uint8_t>(m.addr[i] & (0xFF << (8 - bits)));
  }
  return m;
}

Result<IpPrefix> ParseIp(std::string_view in) {
  if (in.empty()) return Invalid("empty IP address");
  std::string_view addr = in, len_text;
  if (auto slash = in.find('/'); slash != std::string_view::npos) {
    addr = in.substr(0, slash);
    len_text = in.substr(slash + 1);
    if (len_text.empty())
      return Invalid(fmt::format("missing prefix length at offset {}", slash + 1));
  }
  if (addr.size() >= 2 && addr.front() == '[' && addr.back() == ']')
    addr = addr.substr(1, addr.size() - 2);
  if (addr.empty() || addr.size() > 45)
    return Invalid(fmt::format("invalid IP address '{}'", in.substr(0, 64)));
  char buf[64];
  std::memcpy(buf, addr.data(), addr.size());
  buf[addr.size()] = 0;
  IpPrefix p;
  if (addr.find(':') != std::string_view::npos) {
    p.v6 = true;
    if (inet_pton(AF_INET6, buf, p.addr.data()) != 1)
      return Invalid(fmt::format("invalid IPv6 address '{}'", addr));
  } else {
    if (inet_pton(AF_INET, buf, p.addr.data()) != 1)
      return Invalid(fmt::format("invalid IPv4 address '{}'", addr));
  }
  p.prefix = static_cast<std::uint8_t>(p.MaxPrefix());
  if (!len_text.empty()) {
    int len = 0;
    if (len_text.size() > 3) return Invalid(fmt::format("invalid prefix length '{}'", len_text));
    for (char c : len_text) {
      if (c < '0' || c > '9') return Invalid(fmt::format("invalid prefix length '{}'", len_text));
      len = len * 10 + (c - '0');
    }
    if (len > p.MaxPrefix())
      return Invalid(fmt::format("prefix length {} exceeds {} for {}", len, p.MaxPrefix(),
                                 p.v6 ? "IPv6" : "IPv4"));
    p = Masked(p, len);
  }
  return p;
}

Result<std::string> NormalizeUrl(std::string_view in) {
  if (in.empty()) return Invalid("empty URL");
  if (in.size() > 8192) return Invalid("URL longer than 8192 bytes");
  for (size_t i = 0; i < in.size(); ++i)
    if (static_cast<unsigned char>(in[i]) <= 0x20 || in[i] == 0x7F)
      return Invalid(fmt::format("control or space character in URL at offset {}", i));
  std::string scheme = "http";
  std::string_view rest = in;
  if (auto p = in.find("://"); p != std::string_view::npos) {
    if (p == 0) return Invalid("empty URL scheme");
    scheme.clear();
    for (size_t i = 0; i < p; ++i) {
      char c = Lower(in[i]);
      bool ok = (c >= 'a' && c <= 'z') ||
                (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
      if (!ok) return Invalid(fmt::format("invalid URL scheme character at offset {}", i));
      scheme += c;
    }
    rest = in.substr(p + 3);
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("unterminated IPv6 literal in URL");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("garbage after IPv6 literal in URL");
      port = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return Invalid("URL has no host");
  for (char c : port)
    if (c < '0' || c > '9') return Invalid(fmt::format("invalid port '{}' in URL", port));
  if (port.size() > 5) return Invalid(fmt::format("invalid port '{}' in URL", port));
  std::string out = scheme + "://";
  if (host.front() == '[') {
    ENTENTE_TRY(ParseIp(host));
    std::string h(host);
    for (char& c : h) c = Lower(c);
    out += h;
  } else if (auto ip = ParseIp(host); ip && !ip->v6) {
    out += ip->ToString();
  } else {
    auto d = NormalizeDomain(host);
    if (!d) return Invalid("invalid URL host: " + d.error().message);
    out += *d;
  }
  if (!port.empty() &&
      !((scheme == "http" && port == "80") || (scheme == "https" && port == "443"))) {
    out += ':';
    out += port;
  }
  if (tail.empty() || tail.front() != '/') out += '/';
  out += tail;
  return out;
}

std::string_view UrlHost(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = url.substr(p + 3);
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    return close == std::string_view::npos ? std::string_view{} : rest.substr(1, close - 1);
  }
  return rest.substr(0, rest.find_first_of(":/?"));
}

Result<std::string> NormalizeEmail(std::string_view in) {
  auto at = in.rfind('@');
  if (at == std::string_view::npos) return Invalid("email address has no '@'");
  if (at == 0) return Invalid("email address has an empty local part");
  if (at > 64) return Invalid("email local part longer than 64 bytes");
  std::string out;
  for (size_t i = 0; i < at; ++i) {
    char c = in[i];
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '@' ||
        c == ',' || c == ';')
      return Invalid(fmt::format("invalid character in email local part at offset {}", i));
    out += Lower(c);
  }
  if (!jcs::IsValidUtf8(out)) return Invalid("email local part is not valid UTF-8");
  auto d = NormalizeDomain(in.substr(at + 1));
  if (!d) return Invalid("invalid email domain: " + d.error().message);
  out += '@';
  out += *d;
  return out;
}

Result<std::string> ParseHexHash(std::string_view in) {
  if (in.size() != 32 && in.size() != 40 && in.size() != 64)
    return Invalid(fmt::format(
        "hash has {} hex digits; expected 32 (MD5), 40 (SHA-1) or 64 (SHA-256)", in.size()));
  std::string out(in.size() / 2, '\0');
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = Lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < in.size(); i += 2) {
    int hi = nib(in[i]), lo = nib(in[i + 1]);
    if (hi < 0 || lo < 0)
      return Invalid(fmt::format("invalid hex digit in hash at offset {}", hi < 0 ? i : i + 1));
    out[i / 2] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace entente::match
