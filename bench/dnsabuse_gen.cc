// Generates benchmark inputs for the DNS abuse observatory, deterministically:
//   dnsabuse_gen OUTDIR DOMAINS FEED_ENTRIES
// writes OUTDIR/bench.zone (a TLD zone "bench." in master format, as a
// registry publishes it: SOA, apex NS, per delegated domain two NS records,
// a DS record for one in eight, glue A/AAAA for one in sixteen, an RRSIG for
// the DS), OUTDIR/registrations.csv (every domain: registrar among 500 ids,
// creation date within 2 years, 3 % within the last month), OUTDIR/registrars.csv,
// and four feeds totalling FEED_ENTRIES entries: phishing URLs (with
// credentials, ports and 3 % IP-only URLs), malware domains, botnet C&C CSV
// and spam hosts-file lines; 85 % of the entries name delegated domains
// (often through a subdomain), the rest names elsewhere.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

std::uint64_t state = 0x9e3779b97f4a7c15ULL;
std::uint64_t Next() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

std::uint64_t total = 1;

// The i-th domain label: unique, looks like a name, and increasing with i so
// that the zone is sorted as registries publish it.
std::string Label(std::uint64_t i) {
  static const char* kWords[] = {"art",  "bank", "cloud", "data", "go",     "home", "info", "login",
                                 "mail", "my",   "net",   "pay",  "secure", "shop", "tech", "web"};
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out = kWords[std::min<std::uint64_t>(15, i * 16 / total)];
  char b36[8];
  std::uint64_t v = i;
  for (int k = 7; k >= 0; --k, v /= 36) b36[k] = kDigits[v % 36];
  out.append(b36, 8);
  return out;
}

class Out {
 public:
  explicit Out(const std::string& path) : f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) {
      std::perror(path.c_str());
      std::exit(1);
    }
    buf_.reserve(1 << 20);
  }
  ~Out() {
    Flush();
    std::fclose(f_);
  }
  void Add(std::string_view s) {
    buf_ += s;
    if (buf_.size() > (1u << 20)) Flush();
  }
  void Flush() {
    std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }

 private:
  std::FILE* f_;
  std::string buf_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: dnsabuse_gen OUTDIR DOMAINS FEED_ENTRIES\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::uint64_t n = std::strtoull(argv[2], nullptr, 10);
  const std::uint64_t m = std::strtoull(argv[3], nullptr, 10);
  total = n ? n : 1;
  const int kRegistrars = 500;
  {
    Out z(dir + "/bench.zone");
    z.Add(
        "$ORIGIN bench.\n$TTL 86400\n"
        "@ 900 IN SOA a.nic.bench. hostmaster.nic.bench. ( 2024030100 1800 900 604800 86400 )\n"
        "@ 172800 IN NS a.nic.bench.\n@ 172800 IN NS b.nic.bench.\n");
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::string l = Label(i);
      const std::uint64_t r = Next();
      const int p = static_cast<int>(r % 400);
      z.Add(fmt::format(
          "{} 172800 IN NS ns1.dns{}.example.net.\n{} 172800 IN NS ns2.dns{}.example.net.\n", l, p,
          l, p));
      if ((r >> 12) % 8 == 0) {
        z.Add(fmt::format("{} 86400 IN DS {} 13 2 {:016X}{:016X}{:016X}{:016X}\n", l, r % 65536,
                          Next(), Next(), Next(), Next()));
        z.Add(
            fmt::format("{} 86400 IN RRSIG DS 8 2 86400 20240315000000 20240301000000 12345 bench. "
                        "{:016x}{:016x}{:016x}{:016x}\n",
                        l, Next(), Next(), Next(), Next()));
      }
      if ((r >> 20) % 16 == 0)
        z.Add(fmt::format("ns1.{} 172800 IN A 192.0.{}.{}\nns1.{} 172800 IN AAAA 2001:db8::{:x}\n",
                          l, (r >> 30) % 256, (r >> 38) % 256, l, r % 65536));
    }
  }
  {
    Out g(dir + "/registrars.csv");
    g.Add("iana_id,name,abuse_email\n");
    for (int i = 1; i <= kRegistrars; ++i)
      g.Add(fmt::format("{},Registrar {},abuse@registrar{}.example\n", 1000 + i, i, i));
  }
  {
    Out reg(dir + "/registrations.csv");
    reg.Add("domain,registrar_id,created\n");
    const int base = 19783 - 730;  // 2022-03-02 .. 2024-03-01
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t r = Next();
      const int day = (r % 100) < 3 ? 19783 - static_cast<int>((r >> 8) % 30)
                                    : base + static_cast<int>((r >> 8) % 700);
      const int y = 1970 + 0;  // formatted below
      (void)y;
      const int registrar =
          1001 + static_cast<int>(((r >> 24) % 1000) * ((r >> 34) % 1000) / 2000) % kRegistrars;
      // days since epoch -> date (civil from days, H. Hinnant).
      int z = day + 719468;
      const int era = z / 146097;
      const unsigned doe = static_cast<unsigned>(z - era * 146097);
      const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      int yy = static_cast<int>(yoe) + era * 400;
      const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
      const unsigned mp = (5 * doy + 2) / 153;
      const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
      const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
      yy += mm <= 2;
      reg.Add(fmt::format("{}.bench,{},{:04d}-{:02d}-{:02d}\n", Label(i), registrar, yy, mm, dd));
    }
  }
  {
    Out phish(dir + "/phishing.txt"), malware(dir + "/malware.txt"), botnet(dir + "/botnet.csv"),
        spam(dir + "/spam.hosts");
    botnet.Add("id,first_seen,url,threat\n");
    spam.Add("# spam domains\n127.0.0.1 localhost\n");
    for (std::uint64_t k = 0; k < m; ++k) {
      const std::uint64_t r = Next();
      // Abuse concentrates: a few percent of the domains, some registrars more.
      const std::uint64_t i = (r % 100) < 85 ? (Next() % (n / 25 + 1)) * 25 % n : n + (r % 1000000);
      const std::string host = i < n ? ((r >> 8) % 3 == 0   ? "www."
                                        : (r >> 8) % 3 == 1 ? "login."
                                                            : "") +
                                           Label(i) + ".bench"
                                     : fmt::format("{}.example{}.com", Label(i), r % 7);
      switch (k % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
          if ((r >> 16) % 33 == 0)
            phish.Add(fmt::format("http://198.51.{}.{}/{}/login.php\n", (r >> 20) % 256,
                                  (r >> 28) % 256, k));
          else if ((r >> 16) % 5 == 0)
            phish.Add(
                fmt::format("https://user:pass@{}:8443/secure/{}?session={:x}\n", host, k, r));
          else
            phish.Add(fmt::format("https://{}/account/verify/{}\n", host, k));
          break;
        case 4:
        case 5:
        case 6:
          malware.Add(fmt::format("{}\n", host));
          break;
        case 7:
          botnet.Add(fmt::format("{},2024-03-01,\"http://{}:{}/gate.php\",botnet_cc\n", k, host,
                                 1024 + r % 60000));
          break;
        default:
          spam.Add(fmt::format("0.0.0.0 {}\n", host));
      }
    }
  }
  return 0;
}
