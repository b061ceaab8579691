// A real SMTP server for tests: tests/mail/smtp_sink.py (aiosmtpd) run by
// Debian's /usr/bin/python3 (or $ENTENTE_TEST_PYTHON) in a private
// temporary directory, on a port the kernel picks.
//
// Start() generates a self-signed certificate for localhost/127.0.0.1 with
// the openssl command when the mode needs TLS, spawns the server with
// posix_spawn and waits until it prints its port (no sleeps: a blocking
// read with a deadline). The destructor closes the server's stdin (its
// signal to stop), sends SIGTERM, reaps it and removes the directory.
// Messages() reads what the server stored, in arrival order.
//
// Also here: sockets that make a port refuse connections or stay silent.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace entente::mail::testing {

enum class SinkMode { kPlain, kStartTls, kTls };

class SmtpTestServer {
 public:
  // `auth`: "user:password" to require AUTH with that credential.
  static Result<std::unique_ptr<SmtpTestServer>> Start(SinkMode mode, std::string auth = {});
  ~SmtpTestServer();
  SmtpTestServer(const SmtpTestServer&) = delete;
  SmtpTestServer& operator=(const SmtpTestServer&) = delete;

  int port() const { return port_; }
  // The self-signed certificate (PEM) to trust; empty in plain mode.
  std::string ca_file() const;
  // Every stored message (msg-1.json, msg-2.json, ...).
  std::vector<nlohmann::json> Messages() const;
  // What the server wrote to stderr (for failure messages).
  std::string Log() const;

 private:
  SmtpTestServer() = default;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  bool tls_ = false;
};

// A TCP socket bound to 127.0.0.1 on a free port. Not listening, it makes
// connections to that port fail at once (and holds the port so no one else
// takes it); listening, it completes TCP handshakes but never speaks.
class TestSocket {
 public:
  explicit TestSocket(bool listen);
  ~TestSocket();
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;
  int port() const { return port_; }
  // Listening sockets: whether a connection is waiting to be accepted.
  bool HasPendingConnection() const;

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace entente::mail::testing
