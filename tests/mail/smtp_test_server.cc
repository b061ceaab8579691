#include "mail/smtp_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace entente::mail::testing {

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<fs::path> MakeTempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/entente-mail-test.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr)
    return Fail(ErrorCode::kInternal, "mkdtemp failed for " + templ);
  return fs::path(templ);
}

// Runs argv[0] (searched in PATH) with stdout and stderr to `log`; waits.
Status Run(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Fail(ErrorCode::kInternal, "cannot run " + args[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Fail(ErrorCode::kInternal, args[0] + " failed: " + ReadFile(log));
  return Ok();
}

}  // namespace

Result<std::unique_ptr<SmtpTestServer>> SmtpTestServer::Start(SinkMode mode, std::string auth) {
  std::unique_ptr<SmtpTestServer> s(new SmtpTestServer());
  s->dir_ = ENTENTE_TRY(MakeTempDir());
  s->tls_ = mode != SinkMode::kPlain;
  fs::path cert = s->dir_ / "cert.pem", key = s->dir_ / "key.pem";
  if (s->tls_) {
    ENTENTE_CHECK(
        Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key.string(), "-out", cert.string(), "-days", "2", "-subj",
             "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"},
            s->dir_ / "openssl.log"));
  }
  const char* python = std::getenv("ENTENTE_TEST_PYTHON");
  std::vector<std::string> args = {python && *python ? python : "/usr/bin/python3",
                                   std::string(ENTENTE_MAIL_TEST_DIR) + "/smtp_sink.py", "--dir",
                                   s->dir_.string()};
  if (mode == SinkMode::kStartTls)
    args.insert(args.end(), {"--starttls", cert.string(), key.string()});
  if (mode == SinkMode::kTls) args.insert(args.end(), {"--tls", cert.string(), key.string()});
  if (!auth.empty()) args.insert(args.end(), {"--auth", auth});
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Fail(ErrorCode::kInternal, "pipe failed");
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return Fail(ErrorCode::kInternal, "pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  std::string log = (s->dir_ / "server.log").string();
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    return Fail(ErrorCode::kInternal, "cannot run " + args[0]);
  }
  s->pid_ = pid;
  s->stdin_fd_ = in[1];

  // The server prints its port once it accepts connections.
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{out[0], POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[64];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) break;  // the server exited
    line.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  s->port_ = std::atoi(line.c_str());
  if (s->port_ <= 0)
    return Fail(ErrorCode::kUnavailable,
                "the test SMTP server did not start (is python3-aiosmtpd installed? "
                "scripts/setup.sh installs it): " +
                    s->Log());
  return s;
}

SmtpTestServer::~SmtpTestServer() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status;
    waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string SmtpTestServer::ca_file() const { return tls_ ? (dir_ / "cert.pem").string() : ""; }

std::vector<nlohmann::json> SmtpTestServer::Messages() const {
  std::vector<nlohmann::json> out;
  for (int i = 1;; ++i) {
    fs::path p = dir_ / ("msg-" + std::to_string(i) + ".json");
    if (!fs::exists(p)) break;
    out.push_back(nlohmann::json::parse(ReadFile(p)));
  }
  return out;
}

std::string SmtpTestServer::Log() const { return ReadFile(dir_ / "server.log"); }

TestSocket::TestSocket(bool listen) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
  socklen_t len = sizeof addr;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (listen) ::listen(fd_, 8);
}

TestSocket::~TestSocket() {
  if (fd_ >= 0) close(fd_);
}

bool TestSocket::HasPendingConnection() const {
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace entente::mail::testing
