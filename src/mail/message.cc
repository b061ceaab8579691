#include "mail/message.h"

#include <strings.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace entente::mail {

namespace {

constexpr size_t kFoldAt = 78;  // RFC 5322 2.1.1: lines SHOULD be at most 78 characters

bool IsAtext(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5322 dot-atom-text: atext runs separated by single dots.
bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
  }
  return true;
}

// Letters, digits and inner hyphens; 1-63 characters.
bool IsDomainLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

bool IsDomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  while (true) {
    size_t dot = s.find('.');
    if (!IsDomainLabel(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Length of the well-formed UTF-8 sequence at s[i], or 0 (overlong forms,
// surrogates and code points above U+10FFFF are ill-formed).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7E) return false;
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  auto at = [&](size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[k])); };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63],
            kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    std::uint32_t v = at(i) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    std::uint32_t v = at(i) << 16 | at(i + 1) << 8;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// Encoded words for `text`, the first fitting after `first_line_used`
// characters, joined by CRLF SP.
std::string EncodedWords(std::string_view text, size_t first_line_used) {
  static constexpr std::string_view kPrefix = "=?UTF-8?B?", kSuffix = "?=";
  constexpr size_t kOverhead = kPrefix.size() + kSuffix.size();
  // Bytes whose base64 (4 characters per 3 bytes) fits `room` characters.
  auto capacity = [](size_t room) { return room / 4 * 3; };
  size_t first_room =
      kFoldAt > first_line_used + kOverhead ? kFoldAt - first_line_used - kOverhead : 0;
  size_t limit = std::max<size_t>(capacity(first_room), 12);
  const size_t later_limit = capacity(75 - kOverhead);  // RFC 2047 2: at most 75 characters
  std::string out;
  size_t start = 0;
  while (start < text.size() || out.empty()) {
    size_t end = start;
    while (end < text.size()) {
      size_t n = Utf8SequenceLength(text, end);
      if (n == 0) n = 1;  // callers validate; never loop forever
      if (end + n - start > limit) break;
      end += n;
    }
    if (!out.empty()) out += "\r\n ";
    out += kPrefix;
    out += Base64(text.substr(start, end - start));
    out += kSuffix;
    start = end;
    limit = later_limit;
    if (text.empty()) break;
  }
  return out;
}

// A display name as an atom phrase when it is one, else encoded words.
std::string EncodeDisplayName(std::string_view name) {
  bool plain = !name.empty() && name.front() != ' ' && name.back() != ' ';
  for (char c : name)
    if (!(IsAtext(static_cast<unsigned char>(c)) || c == ' ')) plain = false;
  if (plain) return std::string(name);
  return EncodedWords(name, std::string_view("From: ").size());
}

std::string NormalizeLineEndings(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 32 + 2);
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

// True when CRLF text is ASCII with lines of at most 998 characters (7bit).
bool Is7bit(std::string_view crlf_text) {
  size_t line = 0;
  for (char c : crlf_text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    if (c == '\n') {
      line = 0;
    } else if (++line > 998) {
      return false;
    }
  }
  return true;
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

constexpr std::array<std::string_view, 13> kReservedHeaders = {"Date",
                                                               "From",
                                                               "Sender",
                                                               "To",
                                                               "Cc",
                                                               "Bcc",
                                                               "Subject",
                                                               "Message-ID",
                                                               "MIME-Version",
                                                               "Content-Type",
                                                               "Content-Transfer-Encoding",
                                                               "Return-Path",
                                                               "Received"};

Result<std::string> NormalizeMessageId(std::string_view id, std::string_view field) {
  if (HasLineBreak(id))
    return Invalid("contains a line break (header injection refused)", std::string(field));
  std::string_view inner = id;
  if (inner.starts_with('<') && inner.ends_with('>') && inner.size() >= 2)
    inner = inner.substr(1, inner.size() - 2);
  size_t at = inner.rfind('@');
  if (inner.size() > 250 || at == std::string_view::npos || !IsDotAtom(inner.substr(0, at)) ||
      !IsDotAtom(inner.substr(at + 1)))
    return Invalid("is not a message id of the form <left@right>", std::string(field));
  return "<" + std::string(inner) + ">";
}

}  // namespace

Status ValidateAddress(std::string_view address, std::string_view field) {
  std::string f(field);
  if (HasLineBreak(address)) return Invalid("contains a line break (header injection refused)", f);
  if (address.empty()) return Invalid("is empty", f);
  if (address.size() > kMaxAddressBytes)
    return Invalid("address longer than " + std::to_string(kMaxAddressBytes) + " bytes", f);
  size_t at = address.rfind('@');
  if (at == std::string_view::npos)
    return Invalid("is not an email address (no @): " + std::string(address), f);
  std::string_view local = address.substr(0, at), domain = address.substr(at + 1);
  if (!IsPrintableAscii(address))
    return Invalid("address must be printable ASCII (internationalised addresses unsupported)", f);
  if (local.size() > 64 || !IsDotAtom(local))
    return Invalid("malformed local part in address " + std::string(address), f);
  if (!IsDomain(domain)) return Invalid("malformed domain in address " + std::string(address), f);
  return Ok();
}

Status ValidateHeaderText(std::string_view text, std::string_view field, size_t max_bytes) {
  if (HasLineBreak(text))
    return Invalid("contains a line break (header injection refused)", std::string(field));
  if (text.size() > max_bytes)
    return Invalid("longer than " + std::to_string(max_bytes) + " bytes", std::string(field));
  if (!IsValidUtf8(text)) return Invalid("is not valid UTF-8", std::string(field));
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return Invalid("contains a control character", std::string(field));
  return Ok();
}

std::string_view AddressDomain(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

std::string EncodeHeaderText(std::string_view name, std::string_view text) {
  size_t used = name.size() + 2;
  if (IsPrintableAscii(text) && text.find("=?") == std::string_view::npos &&
      used + text.size() <= kFoldAt)
    return std::string(text);
  return EncodedWords(text, used);
}

std::string EncodeQuotedPrintable(std::string_view crlf_text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(crlf_text.size() * 2);
  while (!crlf_text.empty()) {
    size_t eol = crlf_text.find("\r\n");
    std::string_view line = crlf_text.substr(0, eol);
    crlf_text.remove_prefix(eol == std::string_view::npos ? crlf_text.size() : eol + 2);
    std::string cur;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      char token[3];
      size_t len = 1;
      if ((c == ' ' || c == '\t') && !last) {
        token[0] = static_cast<char>(c);
      } else if (c >= 33 && c <= 126 && c != '=') {
        token[0] = static_cast<char>(c);
      } else {
        token[0] = '=';
        token[1] = kHex[c >> 4];
        token[2] = kHex[c & 15];
        len = 3;
      }
      if (cur.size() + len > 75) {  // leave room for the soft break "="
        out += cur;
        out += "=\r\n";
        cur.clear();
      }
      cur.append(token, len);
    }
    out += cur;
    out += "\r\n";
  }
  return out;
}

std::string FormatRfc5322Date(Millis ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

Result<std::string> ComposeMessage(const MailMessage& msg, const Origin& origin,
                                   std::string_view default_message_id) {
  ENTENTE_CHECK(ValidateAddress(origin.from, "from"));
  ENTENTE_CHECK(ValidateHeaderText(origin.from_name, "from_name", 200));
  if (msg.to.empty()) return Invalid("at least one recipient is needed", "to");
  if (msg.to.size() > kMaxRecipients)
    return Invalid("at most " + std::to_string(kMaxRecipients) + " recipients", "to");
  for (size_t i = 0; i < msg.to.size(); ++i)
    ENTENTE_CHECK(ValidateAddress(msg.to[i], "to[" + std::to_string(i) + "]"));
  ENTENTE_CHECK(ValidateHeaderText(msg.subject, "subject", kMaxSubjectBytes));
  if (msg.body.size() > kMaxBodyBytes)
    return Invalid("longer than " + std::to_string(kMaxBodyBytes) + " bytes", "body");
  if (!IsValidUtf8(msg.body)) return Invalid("is not valid UTF-8", "body");
  for (char c : msg.body) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\r' && c != '\n' && c != '\t') || u == 0x7F)
      return Invalid("contains a control character", "body");
  }
  if (msg.headers.size() > kMaxExtraHeaders)
    return Invalid("at most " + std::to_string(kMaxExtraHeaders) + " extra headers", "headers");
  for (size_t i = 0; i < msg.headers.size(); ++i) {
    const MailHeader& h = msg.headers[i];
    std::string field = "headers[" + std::to_string(i) + "]";
    if (HasLineBreak(h.name))
      return Invalid("contains a line break (header injection refused)", field + ".name");
    if (h.name.empty() || h.name.size() > 76 || !IsDomainLabel(h.name))
      return Invalid("header name must be letters, digits and inner hyphens", field + ".name");
    for (std::string_view reserved : kReservedHeaders)
      if (strcasecmp(std::string(reserved).c_str(), h.name.c_str()) == 0)
        return Invalid(h.name + " is set by the sender, not by extra headers", field + ".name");
    if (HasLineBreak(h.value))
      return Invalid("contains a line break (header injection refused)", field + ".value");
    if (h.value.size() > kMaxHeaderValueBytes)
      return Invalid("longer than " + std::to_string(kMaxHeaderValueBytes) + " bytes",
                     field + ".value");
    if (!IsPrintableAscii(h.value)) return Invalid("must be printable ASCII", field + ".value");
  }
  std::string message_id;
  if (!msg.message_id.empty()) {
    message_id = ENTENTE_TRY(NormalizeMessageId(msg.message_id, "message_id"));
  } else {
    message_id = ENTENTE_TRY(NormalizeMessageId(default_message_id, "message_id"));
  }

  std::string out;
  out.reserve(msg.body.size() * 3 + 1024);
  AppendHeader(out, "Date", FormatRfc5322Date(origin.date));
  if (origin.from_name.empty())
    AppendHeader(out, "From", origin.from);
  else
    AppendHeader(out, "From", EncodeDisplayName(origin.from_name) + " <" + origin.from + ">");
  std::string to;
  size_t line = std::string_view("To: ").size();
  for (size_t i = 0; i < msg.to.size(); ++i) {
    if (i > 0) {
      to += ',';
      ++line;
      if (line + 1 + msg.to[i].size() > kFoldAt) {
        to += "\r\n";
        line = 0;
      }
      to += ' ';
      ++line;
    }
    to += msg.to[i];
    line += msg.to[i].size();
  }
  AppendHeader(out, "To", to);
  AppendHeader(out, "Subject", EncodeHeaderText("Subject", msg.subject));
  AppendHeader(out, "Message-ID", message_id);
  for (const MailHeader& h : msg.headers) AppendHeader(out, h.name, h.value);
  AppendHeader(out, "MIME-Version", "1.0");
  AppendHeader(out, "Content-Type", "text/plain; charset=utf-8");
  std::string body = NormalizeLineEndings(msg.body);
  if (Is7bit(body)) {
    AppendHeader(out, "Content-Transfer-Encoding", "7bit");
    out += "\r\n";
    out += body;
  } else {
    AppendHeader(out, "Content-Transfer-Encoding", "quoted-printable");
    out += "\r\n";
    out += EncodeQuotedPrintable(body);
  }
  return out;
}

}  // namespace entente::mail
