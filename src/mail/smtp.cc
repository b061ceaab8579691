#include "mail/smtp.h"

#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>

#include "core/ids.h"
#include "mail/curl_easy.h"

namespace entente::mail {

namespace {

using internal::CurlEasy;
using internal::CurlSlist;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.';
}

bool IsHostName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), IsHostChar);
}

// An IPv6 literal without brackets ("::1", "fe80::1%eth0" is refused).
bool IsIpv6Literal(std::string_view s) {
  if (s.size() < 2 || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.';
  });
}

// Loopback by address (127.0.0.0/8, ::1) or the name localhost; never a
// DNS name that merely starts with "127.".
bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  return host.starts_with("127.") && std::count(host.begin(), host.end(), '.') == 3 &&
         std::all_of(host.begin(), host.end(),
                     [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

std::string HostForUrl(std::string_view host) {
  return IsIpv6Literal(host) ? "[" + std::string(host) + "]" : std::string(host);
}

std::string HostPort(const SmtpConfig& c) {
  return HostForUrl(c.host) + ":" + std::to_string(c.port);
}

std::string LocalHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0 && IsHostName(buf)) return buf;
  return "localhost";
}

std::optional<int> ParsePort(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > 65535) return std::nullopt;
  return v;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

// ---- the SMTP conversation, as libcurl reports it ----------------------------

// The last command sent (credentials withheld) and the server's last reply,
// and the first refusal (a 4xx or 5xx reply) with the command it answered:
// after a refusal libcurl still says QUIT, whose "221" must not hide it.
struct Transcript {
  std::string command;
  std::string reply;
  bool reply_complete = true;
  bool in_sasl = false;  // from AUTH until a reply other than 334
  std::string refused_command;
  std::string refusal;
};

std::string_view TrimEol(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

constexpr std::string_view kSaslData = "(authentication data)";

// The command as it may appear in an error: AUTH without its initial
// response (credentials), other commands as sent.
std::string WithheldCredentials(std::string_view line) {
  line = TrimEol(line);
  std::string_view verb = line.substr(0, line.find(' '));
  if (verb.size() == 4 && strncasecmp(verb.data(), "AUTH", 4) == 0) {
    std::string_view rest = line.size() > 5 ? line.substr(5) : std::string_view();
    return "AUTH " + internal::Printable(rest.substr(0, rest.find(' ')), 40, '?');
  }
  for (const char* known :
       {"EHLO", "HELO", "MAIL", "RCPT", "DATA", "STARTTLS", "QUIT", "RSET", "NOOP"}) {
    if (verb.size() == std::strlen(known) && strncasecmp(verb.data(), known, verb.size()) == 0)
      return internal::Printable(line, 300, '?');
  }
  return std::string(kSaslData);  // not a command libcurl sends outside SASL; keep it out
}

int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* t = static_cast<Transcript*>(user);
  std::string_view text(data, size);
  if (type == CURLINFO_HEADER_OUT) {
    // Lines sent during a SASL exchange are credentials, whatever they look like.
    t->command = t->in_sasl ? std::string(kSaslData) : WithheldCredentials(text);
    if (t->command.starts_with("AUTH ")) t->in_sasl = true;
    t->reply.clear();
    t->reply_complete = true;
  } else if (type == CURLINFO_HEADER_IN) {
    while (!text.empty()) {
      size_t eol = text.find('\n');
      std::string_view line = TrimEol(text.substr(0, eol));
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      if (line.empty()) continue;
      if (t->reply_complete) {
        t->reply.clear();
        t->reply_complete = false;
      }
      if (t->reply.size() < 600) {
        if (!t->reply.empty()) t->reply += ' ';
        t->reply += internal::Printable(line, 300, '?');
      }
      // The last line of a reply is "NNN text" (or "NNN"); others are "NNN-text".
      if (line.size() == 3 || (line.size() > 3 && line[3] == ' ')) {
        t->reply_complete = true;
        if (!line.starts_with("334")) t->in_sasl = false;
        // A refused EHLO is followed by HELO: a later refusal says more.
        bool keep = !t->refusal.empty() && !t->refused_command.starts_with("EHLO");
        if (!keep && line[0] >= '4' && line[0] <= '5') {
          t->refused_command = t->command;
          t->refusal = t->reply;
        }
      }
    }
  }
  return 0;
}

struct Upload {
  std::string_view rest;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* u = static_cast<Upload*>(user);
  size_t n = std::min(size * count, u->rest.size());
  std::memcpy(buffer, u->rest.data(), n);
  u->rest.remove_prefix(n);
  return n;
}

int ReplyCode(std::string_view reply) {
  if (reply.size() < 3) return 0;
  int code = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (reply[i] < '0' || reply[i] > '9') return 0;
    code = code * 10 + (reply[i] - '0');
  }
  return code;
}

std::string CommandVerb(std::string_view command) {
  std::string verb(command.substr(0, command.find(' ')));
  for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return verb;
}

// "x@y" from "RCPT TO:<x@y> ..." (or the command itself when not of that form).
std::string AngleAddress(std::string_view command) {
  size_t open = command.find('<'), close = command.find('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::string(command);
  return std::string(command.substr(open + 1, close - open - 1));
}

Error TranslateFailure(CURLcode rc, const char* errbuf, const Transcript& t, const SmtpConfig& c) {
  std::string server = "SMTP server " + HostPort(c);
  std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : curl_easy_strerror(rc);
  int code = ReplyCode(t.refusal);
  std::string user = c.username.empty() ? std::string() : " of user " + c.username;

  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error(
          ErrorCode::kUnavailable,
          server + " did not answer within " + std::to_string(c.timeout.count()) + " ms (" +
              (t.command.empty() ? std::string("waiting for its greeting") : "after " + t.command) +
              ")");
    case CURLE_COULDNT_RESOLVE_HOST:
      return Error(ErrorCode::kUnavailable,
                   "cannot resolve the SMTP host " + c.host + ": " + detail);
    case CURLE_COULDNT_CONNECT:
      return Error(ErrorCode::kUnavailable, "cannot connect to " + server + ": " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Error(ErrorCode::kFailedPrecondition,
                   "TLS certificate of " + server + " is not trusted: " + detail);
    case CURLE_USE_SSL_FAILED:
      return Error(ErrorCode::kFailedPrecondition,
                   server + " does not offer STARTTLS, which the configuration requires" +
                       (t.reply.empty() ? std::string() : " (reply: " + t.reply + ")"));
    case CURLE_SSL_CONNECT_ERROR:
      return Error(ErrorCode::kUnavailable, "TLS handshake with " + server + " failed: " + detail);
    case CURLE_LOGIN_DENIED:
      return Error(ErrorCode::kUnauthenticated,
                   server + " refused the login" + user + ": " + (code != 0 ? t.refusal : detail));
    default:
      break;
  }
  if (code >= 400) {
    const std::string& command = t.refused_command;
    std::string verb = CommandVerb(command);
    ErrorCode ec = code >= 500 ? ErrorCode::kFailedPrecondition : ErrorCode::kUnavailable;
    std::string what;
    if (verb == "RCPT") {
      what = "recipient " + AngleAddress(command);
    } else if (verb == "MAIL") {
      what = "sender " + AngleAddress(command);
    } else if (verb == "DATA") {
      what = "the message";
    } else if (verb == "AUTH" || command == kSaslData) {
      return Error(ErrorCode::kUnauthenticated,
                   server + " refused the login" + user + ": " + t.refusal);
    } else if (verb == "STARTTLS") {
      what = "STARTTLS";
    } else if (verb == "EHLO" || verb == "HELO") {
      what = "the greeting " + command;
    } else if (command.empty()) {
      what = "the connection";
    } else {
      what = command;
    }
    return Error(ec, server + " refused " + what + ": " + t.refusal);
  }
  bool quitting = CommandVerb(t.command) == "QUIT";
  return Error(
      ErrorCode::kUnavailable,
      "sending through " + server + " failed: " + detail +
          (t.reply.empty() || quitting ? std::string() : " (last reply: " + t.reply + ")"));
}

}  // namespace

// ---- SmtpConfig --------------------------------------------------------------

Result<SmtpConfig> SmtpConfig::FromUrl(std::string_view url) {
  constexpr std::string_view kField = "smtp_url";
  SmtpConfig c;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return Invalid("must start with smtp:// or smtps://", std::string(kField));
  std::string scheme(url.substr(0, scheme_end));
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme == "smtp") {
    c.security = SmtpSecurity::kNone;
  } else if (scheme == "smtps") {
    c.security = SmtpSecurity::kTls;
  } else {
    return Invalid("scheme must be smtp or smtps", std::string(kField));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  size_t query_at = rest.find('?');
  std::string_view query =
      query_at == std::string_view::npos ? std::string_view() : rest.substr(query_at + 1);
  rest = rest.substr(0, query_at);
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    if (slash + 1 != rest.size())
      return Invalid("takes no path; set the EHLO name with ?helo=", std::string(kField));
    rest = rest.substr(0, slash);
  }
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    auto user = PercentDecode(userinfo.substr(0, colon));
    if (!user) return Invalid("malformed percent-encoding in the user name", std::string(kField));
    c.username = *user;
    if (colon != std::string_view::npos) {
      auto pass = PercentDecode(userinfo.substr(colon + 1));
      if (!pass) return Invalid("malformed percent-encoding in the password", std::string(kField));
      c.password = std::move(*pass);
    }
  }
  std::string_view port;
  if (rest.starts_with('[')) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos)
      return Invalid("unterminated [IPv6] host", std::string(kField));
    c.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid("malformed host", std::string(kField));
      port = after.substr(1);
      if (port.empty()) return Invalid("empty port", std::string(kField));
    }
  } else {
    size_t colon = rest.find(':');
    c.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return Invalid("empty port", std::string(kField));
    }
  }
  if (c.host.empty()) return Invalid("no host", std::string(kField));

  std::map<std::string, std::string> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key(pair.substr(0, eq));
    auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value)
      return Invalid("malformed percent-encoding in parameter " + internal::Printable(key, 40, '?'),
                     std::string(kField));
    if (!params.emplace(key, std::move(*value)).second)
      return Invalid("parameter " + internal::Printable(key, 40, '?') + " given twice",
                     std::string(kField));
  }
  bool starttls = false;
  for (const auto& [key, value] : params) {
    if (key == "from") {
      c.from = value;
    } else if (key == "from_name") {
      c.from_name = value;
    } else if (key == "helo") {
      c.helo_name = value;
    } else if (key == "ca_file") {
      c.ca_file = value;
    } else if (key == "starttls") {
      if (value == "1" || value == "true") {
        starttls = true;
      } else if (value != "0" && value != "false") {
        return Invalid("starttls must be 0 or 1", std::string(kField) + ".starttls");
      }
    } else if (key == "timeout_ms") {
      long long ms = 0;
      bool ok =
          !value.empty() && value.size() <= 9 &&
          std::all_of(value.begin(), value.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (ok) ms = std::stoll(value);
      if (!ok || ms <= 0) return Invalid("timeout_ms must be a positive number", "timeout");
      c.timeout = std::chrono::milliseconds(ms);
    } else {
      return Invalid("unknown parameter " + internal::Printable(key, 40, '?') +
                         " (known: from, from_name, starttls, helo, timeout_ms, ca_file)",
                     std::string(kField));
    }
  }
  if (starttls) {
    if (c.security == SmtpSecurity::kTls)
      return Invalid("starttls does not apply to smtps:// (already TLS)",
                     std::string(kField) + ".starttls");
    c.security = SmtpSecurity::kStartTls;
  }
  if (!port.empty()) {
    auto p = ParsePort(port);
    if (!p) return Invalid("port must be 1-65535", "port");
    c.port = *p;
  } else {
    c.port = c.security == SmtpSecurity::kTls ? 465 : starttls ? 587 : 25;
  }
  if (c.from.empty()) return Invalid("needs ?from=<sender address>", "from");
  ENTENTE_CHECK(c.Validate());
  return c;
}

Status SmtpConfig::Validate() const {
  if (!IsHostName(host) && !IsIpv6Literal(host))
    return Invalid("must be a host name or an IP address", "host");
  if (port < 1 || port > 65535) return Invalid("must be 1-65535", "port");
  ENTENTE_CHECK(ValidateAddress(from, "from"));
  ENTENTE_CHECK(ValidateHeaderText(from_name, "from_name", 200));
  if (!helo_name.empty() && !IsHostName(helo_name))
    return Invalid("must be a host name (letters, digits, '-' and '.')", "helo_name");
  if (username.size() > 256 ||
      username.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return Invalid("must be at most 256 characters without line breaks or NUL", "username");
  if (password) {
    if (username.empty()) return Invalid("a password needs a user name", "password");
    // Never echo the password itself.
    if (password->size() > 1024 || password->find('\0') != std::string::npos)
      return Invalid("must be at most 1024 bytes without NUL", "password");
  }
  if (!username.empty() && security == SmtpSecurity::kNone && !IsLoopback(host))
    return Invalid("credentials need starttls or tls: they would cross the network in clear",
                   "security");
  if (ca_file.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    return Invalid("must be a file path", "ca_file");
  if (timeout.count() <= 0 || timeout > std::chrono::minutes(10))
    return Invalid("must be between 1 ms and 10 minutes", "timeout");
  return Ok();
}

std::string SmtpConfig::Describe() const {
  std::string s = security == SmtpSecurity::kTls ? "smtps://" : "smtp://";
  if (!username.empty()) s += internal::Printable(username, 100, '?') + "@";
  s += HostForUrl(internal::Printable(host, 253, '?')) + ":" + std::to_string(port);
  if (security == SmtpSecurity::kStartTls) s += " (starttls)";
  return s;
}

// ---- SmtpSender --------------------------------------------------------------

SmtpSender::SmtpSender(SmtpConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

Status SmtpSender::Send(const MailMessage& message) {
  const SmtpConfig& c = config_;
  ENTENTE_CHECK(c.Validate());
  Origin origin{c.from, c.from_name, clock_.NowMillis()};
  std::string default_id = "<" + NewUuidV7(clock_) + "@" + std::string(AddressDomain(c.from)) + ">";
  std::string data = ENTENTE_TRY(ComposeMessage(message, origin, default_id));

  CurlEasy easy = ENTENTE_TRY(internal::NewCurlEasy());
  CURL* h = easy.get();
  std::string helo = c.helo_name.empty() ? LocalHostName() : c.helo_name;
  std::string url = std::string(c.security == SmtpSecurity::kTls ? "smtps://" : "smtp://") +
                    HostPort(c) + "/" + helo;
  CurlSlist recipients;
  for (const std::string& to : message.to)
    ENTENTE_CHECK(internal::AppendTo(recipients, "<" + to + ">"));
  std::string mail_from = "<" + c.from + ">";
  Upload upload{data};
  Transcript transcript;
  char errbuf[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   c.security == SmtpSecurity::kStartTls ? static_cast<long>(CURLUSESSL_ALL)
                                                         : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
  if (!c.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, c.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, c.password ? c.password->c_str() : "");
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(c.timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  // The debug callback sees commands and replies; it keeps the last of each
  // for error messages, withholding credentials.
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, OnDebug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &transcript);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return Ok();
  Error e = TranslateFailure(rc, errbuf, transcript, c);
  if (c.password) e.message = internal::Redact(std::move(e.message), *c.password);
  return std::unexpected(std::move(e));
}

}  // namespace entente::mail
