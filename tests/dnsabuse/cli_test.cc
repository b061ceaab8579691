// `entente dns` end to end with the real binary: a node with the demo
// directory, one day ingested from files, a report routed to the demo
// registrar "Northwind Names Ltd" as a communication it can list, its
// confirmation measured as time to mitigation in the monthly report; bad
// input fails with one line and exit code 1.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome Sh(const std::string& cmd) {
  Outcome r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(DnsCli, IngestRouteRespondReport) {
  std::string t = (fs::temp_directory_path() / "entente-dnscli-XXXXXX").string();
  ASSERT_NE(mkdtemp(t.data()), nullptr);
  const fs::path dir = t;
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  ASSERT_NE(src, nullptr);
  const std::string bin = std::string("'") + ENTENTE_BIN + "' --data '" + dir.string() + "'";
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return "'" + (dir / name).string() + "'";
  };
  ASSERT_EQ(Sh(bin + " init --org-name 'Test CERT' --operator-password 'pw-12345678-long'").code,
            0);
  Outcome demo =
      Sh("cd '" + std::string(src) + "' && " + bin + " demo --password 'demo-pass-1234567'");
  ASSERT_EQ(demo.code, 0) << demo.out;
  const std::string zone = write("arc.zone",
                                 "$ORIGIN arc.\n$TTL 60\n@ SOA a b 1 2 3 4 5\n@ NS a.\n"
                                 "evil NS ns.x.\ngood NS ns.x.\nbad A 1.2.3\n");
  const std::string regs =
      write("regs.csv", "domain,registrar_id,created\nevil.arc,1001,2024-02-28\n");
  const std::string feed = write("phish.txt", "https://login.evil.arc/bank\nnot a url\n");
  Outcome ingest = Sh(bin + " dns ingest --date 2024-03-01 --zone " + zone + " --registrations " +
                      regs + " --feed phishing:cert:urls:" + feed);
  ASSERT_EQ(ingest.code, 0) << ingest.out;
  EXPECT_NE(ingest.out.find("2 domains in zone, 1 abused (5000 per 10,000)"), std::string::npos)
      << ingest.out;
  EXPECT_NE(ingest.out.find("arc.zone:7: A record: '1.2.3' is not an IPv4 address"),
            std::string::npos);
  EXPECT_NE(ingest.out.find("phish.txt):2:"), std::string::npos);

  const std::string orgs = dir.string() + "/entente.db";
  Outcome ids =
      Sh("sqlite3 '" + orgs + "' \"SELECT id FROM orgs WHERE names LIKE '%Northwind Names%'\"");
  ASSERT_EQ(ids.code, 0) << ids.out;
  std::string registrar = ids.out.substr(0, ids.out.find('\n'));
  ASSERT_FALSE(registrar.empty());
  Outcome route = Sh(
      bin + " --json dns route --domain evil.arc --as arcadia-cert.officer --registrar-org 1001=" +
      registrar);
  ASSERT_EQ(route.code, 0) << route.out;
  const size_t m = route.out.find("\"message\":\"");
  ASSERT_NE(m, std::string::npos) << route.out;
  const std::string message = route.out.substr(m + 11, route.out.find('"', m + 11) - m - 11);
  Outcome inbox = Sh(bin + " msg list --as registrar-one.officer");
  EXPECT_NE(inbox.out.find(message), std::string::npos) << inbox.out;
  EXPECT_NE(inbox.out.find("request_for_assistance"), std::string::npos);

  ASSERT_EQ(
      Sh(bin + " dns respond --message " + message + " --date 2024-03-03 --action suspended").code,
      0);
  Outcome csv = Sh(bin + " dns report --month 2024-03 --format csv");
  ASSERT_EQ(csv.code, 0) << csv.out;
  EXPECT_NE(csv.out.find("\nall,,all,1,2,1,5000,1,1,1,0,0,0,1,2\n"), std::string::npos) << csv.out;
  Outcome json = Sh(bin + " dns report --month 2024-03 --format json");
  EXPECT_NE(json.out.find("\"per10k\": 5000"), std::string::npos);

  Outcome again = Sh(bin + " dns ingest --date 2024-03-01 --zone " + zone +
                     " --feed phishing:cert:urls:" + feed);
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.out, "entente: date: day 2024-03-01 is already ingested\n");
  Outcome bad =
      Sh(bin + " dns ingest --date 2024-03-02 --zone " + zone + " --feed scam:cert:urls:" + feed);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("unknown category 'scam'"), std::string::npos);
  EXPECT_EQ(Sh(bin + " dns report --month 2024-04").code, 1);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
