// Outbound email notices over SMTP, behind a one-method interface.
//
// MailSender is what the rest of Entente sees; SmtpSender submits each
// message to one configured SMTP server (a relay or submission service)
// through libcurl, on a new connection per message: EHLO, optional STARTTLS
// or implicit TLS (certificates verified against the system store or
// `ca_file`), optional AUTH, MAIL FROM, one RCPT TO per recipient, DATA.
// All recipients are accepted or nothing is sent.
//
// Failure modes (Status):
//   kInvalidArgument   message or config refused before connecting; `field`
//                      names the input (header injection, malformed address)
//   kUnavailable       transient: cannot connect, timeout, TLS handshake,
//                      a 4xx reply; retrying later may succeed
//   kUnauthenticated   the server refused the credentials
//   kFailedPrecondition permanent: a 5xx reply (e.g. "SMTP server refused
//                      recipient x@y: 550 5.1.1 ..."), no STARTTLS offered,
//                      certificate not trusted
// The password never appears in an error message or in Describe().
//
// Thread-safety: Send may be called concurrently from several threads on
// one SmtpSender; the config is immutable after construction.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "mail/message.h"

namespace entente::mail {

enum class SmtpSecurity {
  kNone,      // plain SMTP (port 25); credentials only to a loopback server
  kStartTls,  // STARTTLS required before anything else (port 587)
  kTls,       // implicit TLS, "smtps" (port 465)
};

struct SmtpConfig {
  std::string host;
  int port = 25;
  SmtpSecurity security = SmtpSecurity::kNone;
  std::string username;                       // empty: no AUTH
  std::optional<std::string> password;        // secret: never logged, never in errors
  std::string from;                           // envelope sender and From: address
  std::string from_name;                      // optional display name (UTF-8)
  std::string helo_name;                      // EHLO name; empty: this machine's host name
  std::string ca_file;                        // PEM CA bundle; empty: the system store
  std::chrono::milliseconds timeout{30'000};  // whole conversation, per message

  // Parses the form used on command lines and in config files:
  //   smtp://[user[:password]@]host[:port][?key=value&...]     (port 25)
  //   smtps://...                                              (implicit TLS, 465)
  // with keys from (required), from_name, starttls (0|1), helo,
  // timeout_ms, ca_file. Userinfo and values are percent-decoded. Unknown
  // keys are an error. Errors never repeat the URL or the password.
  // Prefer leaving the password out of the URL and setting `password` from
  // the environment (see docs/operator-guide.md).
  static Result<SmtpConfig> FromUrl(std::string_view url);

  // Checks every field as Send would; kInvalidArgument naming the field.
  Status Validate() const;

  // "smtp://user@host:587 (starttls)": for logs; never the password.
  std::string Describe() const;
};

class MailSender {
 public:
  virtual ~MailSender() = default;
  virtual Status Send(const MailMessage& message) = 0;
};

class SmtpSender final : public MailSender {
 public:
  explicit SmtpSender(SmtpConfig config, const Clock& clock = SystemClock::Instance());
  Status Send(const MailMessage& message) override;

 private:
  const SmtpConfig config_;
  const Clock& clock_;
};

}  // namespace entente::mail
