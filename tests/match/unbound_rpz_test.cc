// The RPZ export loaded into a real Unbound (/usr/sbin/unbound, Debian
// package), started by the test on a private port and directory: listed
// names and their subdomains get NXDOMAIN, an address range hides the names
// that resolve into it, NODATA and local data work, unlisted names resolve
// from an auth-zone (for-upstream, so the answers go through RPZ), and the
// log shows each rewrite (rpz-log). No sleeps: the test polls until the
// port answers.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "match/export.h"
#include "match/indicator_io.h"

namespace entente::match {
namespace {

namespace fs = std::filesystem;

struct Answer {
  int rcode = -1;              // -1: no answer
  std::vector<std::string> a;  // A records
  int ancount = 0;
};

// A minimal DNS client: one A query over UDP.
Answer Query(int port, const std::string& name, int timeout_ms) {
  std::string q;
  auto put16 = [&](int v) {
    q += static_cast<char>(v >> 8);
    q += static_cast<char>(v & 0xFF);
  };
  put16(0x4242);
  put16(0x0100);  // RD
  put16(1);
  put16(0);
  put16(0);
  put16(0);
  std::size_t s = 0;
  while (s < name.size()) {
    std::size_t e = name.find('.', s);
    if (e == std::string::npos) e = name.size();
    q += static_cast<char>(e - s);
    q += name.substr(s, e - s);
    s = e + 1;
  }
  q += '\0';
  put16(1);  // A
  put16(1);  // IN
  Answer ans;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  pollfd p{fd, POLLIN, 0};
  unsigned char buf[4096];
  ssize_t n = -1;
  if (poll(&p, 1, timeout_ms) == 1) n = recv(fd, buf, sizeof buf, 0);
  close(fd);
  if (n < 12 || buf[0] != 0x42 || buf[1] != 0x42) return ans;
  ans.rcode = buf[3] & 0x0F;
  ans.ancount = (buf[6] << 8) | buf[7];
  std::size_t pos = 12;
  auto skip_name = [&] {
    while (pos < static_cast<std::size_t>(n)) {
      unsigned len = buf[pos];
      if ((len & 0xC0) == 0xC0) {
        pos += 2;
        return;
      }
      pos += 1 + len;
      if (len == 0) return;
    }
  };
  skip_name();
  pos += 4;
  for (int i = 0; i < ans.ancount && pos + 10 <= static_cast<std::size_t>(n); ++i) {
    skip_name();
    int type = (buf[pos] << 8) | buf[pos + 1];
    int rdlen = (buf[pos + 8] << 8) | buf[pos + 9];
    pos += 10;
    if (type == 1 && rdlen == 4) {
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, buf + pos, text, sizeof text);
      ans.a.push_back(text);
    }
    pos += rdlen;
  }
  return ans;
}

int FreeUdpPort() {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class UnboundRpz : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists("/usr/sbin/unbound"))
        << "the Debian package unbound is needed (scripts/setup.sh)";
    char tmpl[] = "/tmp/entente-unbound-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    port_ = FreeUdpPort();
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Start(const std::string& rpz) {
    std::ofstream(dir_ / "rpz.zone") << rpz;
    std::ofstream(dir_ / "test.zone") << "$ORIGIN test.\n$TTL 60\n"
                                         "@ SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n"
                                         "@ NS ns.test.\nns A 127.0.0.1\n"
                                         "bad A 192.0.2.10\nwww.bad A 192.0.2.11\n"
                                         "good A 192.0.2.20\nwww.good A 192.0.2.21\n"
                                         "exact A 192.0.2.30\nsub.exact A 192.0.2.31\n"
                                         "walled A 192.0.2.40\nnodata A 192.0.2.50\n"
                                         "inrange A 203.0.113.9\n";
    std::ofstream(dir_ / "unbound.conf")
        << "server:\n"
        << "  interface: 127.0.0.1\n  port: " << port_ << "\n"
        << "  directory: \"" << dir_.string() << "\"\n  chroot: \"\"\n  username: \"\"\n"
        << "  pidfile: \"" << (dir_ / "unbound.pid").string() << "\"\n"
        << "  use-syslog: no\n  logfile: \"" << (dir_ / "unbound.log").string() << "\"\n"
        << "  verbosity: 1\n  do-daemonize: no\n  num-threads: 1\n  do-ip6: no\n  do-tcp: no\n"
        << "  so-reuseport: no\n  access-control: 127.0.0.0/8 allow\n"
        << "  module-config: \"respip iterator\"\n"
        << "  local-zone: \"test.\" nodefault\n"  // test. is a static local zone by default
        << "rpz:\n  name: rpz.entente.invalid\n  zonefile: \"" << (dir_ / "rpz.zone").string()
        << "\"\n"
        << "  rpz-log: yes\n  rpz-log-name: \"entente\"\n"
        << "auth-zone:\n  name: \"test.\"\n  zonefile: \"" << (dir_ / "test.zone").string()
        << "\"\n"
        << "  for-upstream: yes\n  for-downstream: no\n  fallback-enabled: no\n";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_RDWR);
      dup2(devnull, 0);
      int log = open((dir_ / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(log, 1);
      dup2(log, 2);
      execl("/usr/sbin/unbound", "unbound", "-d", "-c", (dir_ / "unbound.conf").c_str(), nullptr);
      _exit(127);
    }
    // Poll until the port answers (or unbound exits).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "unbound exited: " << ReadAll(dir_ / "stderr.log")
               << ReadAll(dir_ / "unbound.log");
      }
      if (Query(port_, "good.test", 200).rcode >= 0) return;
    }
    FAIL() << "unbound did not answer on port " << port_ << ": " << ReadAll(dir_ / "unbound.log");
  }

  fs::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(UnboundRpz, ListedNamesBlockedUnlistedResolve) {
  auto loaded = LoadIndicators(
                    "{\"id\":\"ind-bad\",\"value\":\"bad.test\",\"subdomains\":true}\n"
                    "{\"id\":\"ind-exact\",\"value\":\"exact.test\",\"subdomains\":false}\n"
                    "{\"id\":\"ind-walled\",\"value\":\"walled.test\",\"subdomains\":false,"
                    "\"action\":\"local\",\"local_data\":\"A 192.0.2.99\"}\n"
                    "{\"id\":\"ind-nodata\",\"value\":\"nodata.test\",\"subdomains\":false,"
                    "\"action\":\"nodata\"}\n"
                    "{\"id\":\"ind-range\",\"value\":\"203.0.113.0/24\"}\n"
                    "{\"id\":\"ind-revoked\",\"value\":\"good.test\",\"revoked\":true}\n",
                    "jsonl", {}, "t")
                    .value();
  ExportOptions o;
  o.zone = "rpz.entente.invalid";
  ExportStats st;
  std::string zone = ExportRpz(loaded.indicators, o, st).value();
  ASSERT_EQ(st.written, 5u);
  ASSERT_EQ(st.excluded, 1u);
  Start(zone);
  if (HasFatalFailure()) return;

  Answer good = Query(port_, "good.test", 5000);
  EXPECT_EQ(good.rcode, 0);
  EXPECT_EQ(good.a, std::vector<std::string>{"192.0.2.20"});
  EXPECT_EQ(Query(port_, "www.good.test", 5000).a, std::vector<std::string>{"192.0.2.21"});

  EXPECT_EQ(Query(port_, "bad.test", 5000).rcode, 3);      // NXDOMAIN
  EXPECT_EQ(Query(port_, "www.bad.test", 5000).rcode, 3);  // and its subdomains
  EXPECT_EQ(Query(port_, "exact.test", 5000).rcode, 3);
  Answer sub = Query(port_, "sub.exact.test", 5000);  // exact only: the subdomain resolves
  EXPECT_EQ(sub.rcode, 0);
  EXPECT_EQ(sub.a, std::vector<std::string>{"192.0.2.31"});
  EXPECT_EQ(Query(port_, "walled.test", 5000).a, std::vector<std::string>{"192.0.2.99"});
  Answer nodata = Query(port_, "nodata.test", 5000);
  EXPECT_EQ(nodata.rcode, 0);
  EXPECT_EQ(nodata.ancount, 0);
  EXPECT_EQ(Query(port_, "inrange.test", 5000).rcode, 3);  // rpz-ip on the answer's address

  // rpz-log: each rewrite is in the log. Poll: the log is written by another process.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string log;
  while (std::chrono::steady_clock::now() < deadline) {
    log = ReadAll(dir_ / "unbound.log");
    if (log.find("inrange.test. A IN") != std::string::npos) break;
    Query(port_, "good.test", 100);  // lets unbound flush
  }
  EXPECT_NE(log.find("rpz: applied [entente] bad.test. rpz-nxdomain"), std::string::npos) << log;
  EXPECT_NE(log.find("rpz: applied [entente] *.bad.test. rpz-nxdomain 127.0.0.1@"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("rpz: applied [entente] 203.0.113.0/24 rpz-nxdomain 127.0.0.1@"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("applied [entente] good.test."), std::string::npos) << log;
}

}  // namespace
}  // namespace entente::match
