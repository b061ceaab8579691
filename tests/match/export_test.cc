#include "match/export.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "crypto/crypto.h"
#include "match/index.h"
#include "match/indicator_io.h"

namespace entente::match {
namespace {

std::vector<Indicator> Sample() {
  auto r =
      LoadIndicators(
          "{\"id\":\"d1\",\"value\":\"bad.example\",\"subdomains\":true,\"tlp\":\"green\","
          "\"community\":\"energy\",\"confidence\":80}\n"
          "{\"id\":\"d2\",\"value\":\"exact.example\",\"subdomains\":false,\"action\":\"nodata\"}\n"
          "{\"id\":\"d3\",\"value\":\"walled.example\",\"subdomains\":false,\"action\":\"local\","
          "\"local_data\":\"A 192.0.2.99\"}\n"
          "{\"id\":\"d4\",\"value\":\"BÜCHER.example\",\"subdomains\":false}\n"
          "{\"id\":\"i1\",\"value\":\"203.0.113.0/24\"}\n"
          "{\"id\":\"i2\",\"value\":\"2001:db8::/32\",\"action\":\"drop\"}\n"
          "{\"id\":\"i3\",\"value\":\"198.51.100.7\"}\n"
          "{\"id\":\"u1\",\"value\":\"HTTP://Bad.Example/x?y=1\"}\n"
          "{\"id\":\"e1\",\"value\":\"phish@bad.example\"}\n"
          "{\"id\":\"h1\",\"value\":\"D41D8CD98F00B204E9800998ECF8427E\"}\n"
          "{\"id\":\"h2\",\"value\":"
          "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}\n"
          "{\"id\":\"r1\",\"value\":\"^x+$\",\"kind\":\"regex\"}\n"
          "{\"id\":\"gone\",\"value\":\"revoked.example\",\"revoked\":true}\n"
          "{\"id\":\"old\",\"value\":\"old.example\",\"valid_until\":\"2020-01-01T00:00:00Z\"}\n"
          "{\"id\":\"red\",\"value\":\"secret.example\",\"tlp\":\"red\"}\n"
          "{\"id\":\"bad\",\"value\":\"not valid.example\"}\n",
          "jsonl", {}, "t")
          .value();
  EXPECT_EQ(r.skipped, 0u);
  return r.indicators;
}

ExportOptions Opts() {
  ExportOptions o;
  o.policy.now = 1'764'669'600'000;  // 2025-12-02
  o.policy.max_tlp = Tlp::kAmberStrict;
  o.serial = 7;
  return o;
}

TEST(Export, RpzIpOwners) {
  EXPECT_EQ(RpzIpOwner(ParseIp("192.0.2.0/24").value()), "24.0.2.0.192.rpz-ip");
  EXPECT_EQ(RpzIpOwner(ParseIp("192.0.2.1").value()), "32.1.2.0.192.rpz-ip");
  EXPECT_EQ(RpzIpOwner(ParseIp("2001:db8::/32").value()), "32.zz.db8.2001.rpz-ip");
  EXPECT_EQ(RpzIpOwner(ParseIp("2001:db8::1").value()), "128.1.zz.db8.2001.rpz-ip");
  EXPECT_EQ(RpzIpOwner(ParseIp("2001:db8:0:1:0:0:0:5").value()), "128.5.zz.1.0.db8.2001.rpz-ip");
}

TEST(Export, Rpz) {
  auto in = Sample();
  ExportStats st;
  std::string z = ExportRpz(in, Opts(), st).value();
  EXPECT_NE(z.find("@ IN SOA localhost. hostmaster.localhost. 7 "), std::string::npos);
  EXPECT_NE(z.find("\nbad.example CNAME .\n*.bad.example CNAME .\n"), std::string::npos) << z;
  EXPECT_NE(z.find("\nexact.example CNAME *.\n"), std::string::npos);
  EXPECT_EQ(z.find("*.exact.example"), std::string::npos);
  EXPECT_NE(z.find("\nwalled.example A 192.0.2.99\n"), std::string::npos);
  EXPECT_NE(z.find("\nxn--bcher-kva.example CNAME .\n"), std::string::npos);
  EXPECT_NE(z.find("\n24.0.113.0.203.rpz-ip CNAME .\n"), std::string::npos);
  EXPECT_NE(z.find("\n32.zz.db8.2001.rpz-ip CNAME rpz-drop.\n"), std::string::npos);
  EXPECT_NE(z.find("\n32.7.100.51.198.rpz-ip CNAME .\n"), std::string::npos);
  for (const char* absent : {"revoked.example", "old.example", "secret.example", "not valid"})
    EXPECT_EQ(z.find(absent), std::string::npos) << absent;
  EXPECT_EQ(st.written, 7u);
  EXPECT_EQ(st.excluded, 3u);
  EXPECT_EQ(st.invalid, 1u);
  EXPECT_EQ(st.unsupported, 5u);  // url, email, 2 hashes, regex

  // Bad local data is rejected per indicator (and for the feed default).
  std::vector<Indicator> bad(1);
  bad[0].id = "x";
  bad[0].value = "x.example";
  bad[0].action = Action::kLocalData;
  bad[0].local_data = "A 192.0.2.1\n* CNAME .";
  ExportStats st2;
  ExportRpz(bad, Opts(), st2).value();
  EXPECT_EQ(st2.invalid, 1u);
  ExportOptions o = Opts();
  o.default_action = Action::kLocalData;
  o.default_local_data = "MX 10 mail.example.";
  EXPECT_FALSE(ExportRpz(bad, o, st2));
}

TEST(Export, CsvRoundTrip) {
  auto in = Sample();
  ExportStats st;
  std::string csv = ExportCsv(in, Opts(), st).value();
  auto back = LoadIndicators(csv, "csv", {}, "back").value();
  EXPECT_EQ(back.skipped, 0u);
  ASSERT_EQ(back.indicators.size(), st.written);
  EXPECT_EQ(st.written, 12u);
  EXPECT_EQ(back.indicators[0].id, "d1");
  EXPECT_TRUE(back.indicators[0].subdomains);
  EXPECT_EQ(back.indicators[0].tlp, Tlp::kGreen);
  EXPECT_EQ(back.indicators[0].community, "energy");
  EXPECT_EQ(back.indicators[0].confidence, 80);
  EXPECT_EQ(back.indicators[3].value, "xn--bcher-kva.example");
  EXPECT_EQ(back.indicators[7].value, "http://bad.example/x?y=1");
  EXPECT_EQ(back.indicators[9].kind, Kind::kMd5);
  EXPECT_EQ(back.indicators[11].kind, Kind::kRegex);
  // The round trip indexes to the same matches.
  auto a = Index::Build(back.indicators).value();
  Matcher m(a);
  EXPECT_EQ(m.Match("www.bad.example").value().size(), 1u);
}

TEST(Export, ZeekIntel) {
  auto in = Sample();
  ExportStats st;
  std::string z = ExportZeekIntel(in, Opts(), st).value();
  // Parse it back the way Zeek's input framework reads it: a #fields header
  // and tab-separated rows with as many fields.
  std::vector<std::vector<std::string>> rows;
  std::size_t pos = 0;
  std::size_t n_fields = 0;
  while (pos < z.size()) {
    std::size_t nl = z.find('\n', pos);
    std::string line = z.substr(pos, nl - pos);
    pos = nl + 1;
    std::vector<std::string> f;
    std::size_t a = 0;
    while (true) {
      std::size_t b = line.find('\t', a);
      f.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
      if (b == std::string::npos) break;
      a = b + 1;
    }
    if (line.starts_with("#fields")) {
      n_fields = f.size() - 1;
      EXPECT_EQ(f[1], "indicator");
      EXPECT_EQ(f[2], "indicator_type");
      continue;
    }
    ASSERT_EQ(f.size(), n_fields) << line;
    rows.push_back(f);
  }
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0][0], "bad.example");
  EXPECT_EQ(rows[0][1], "Intel::DOMAIN");
  EXPECT_NE(rows[0][3].find("TLP:green"), std::string::npos);
  std::map<std::string, std::string> type_of;
  for (auto& r : rows) type_of[r[0]] = r[1];
  EXPECT_EQ(type_of["203.0.113.0/24"], "Intel::SUBNET");
  EXPECT_EQ(type_of["198.51.100.7"], "Intel::ADDR");
  EXPECT_EQ(type_of["bad.example/x?y=1"], "Intel::URL");
  EXPECT_EQ(type_of["phish@bad.example"], "Intel::EMAIL");
  EXPECT_EQ(type_of["d41d8cd98f00b204e9800998ecf8427e"], "Intel::FILE_HASH");
}

std::string Md5(const std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, EVP_md5(), nullptr);
  return crypto::HexEncode(std::span<const std::uint8_t>(out, len));
}

TEST(Export, MispFeed) {
  auto in = Sample();
  ExportStats st;
  auto files = ExportMisp(in, Opts(), st).value();
  ASSERT_TRUE(files.contains("manifest.json"));
  auto manifest = nlohmann::json::parse(files["manifest.json"]);
  std::size_t attrs = 0;
  std::set<std::string> hash_lines;
  for (auto& [uuid, summary] : manifest.items()) {
    ASSERT_TRUE(files.contains(uuid + ".json")) << uuid;
    auto ev = nlohmann::json::parse(files[uuid + ".json"])["Event"];
    EXPECT_EQ(ev["uuid"], uuid);
    EXPECT_EQ(ev["info"], summary["info"]);
    EXPECT_EQ(summary["Orgc"]["name"], "Entente");
    EXPECT_EQ(ev["timestamp"], "1764669600");
    EXPECT_EQ(ev["date"], "2025-12-02");
    for (auto& a : ev["Attribute"]) {
      ++attrs;
      EXPECT_TRUE(a["to_ids"].get<bool>());
      EXPECT_EQ(a["uuid"].get<std::string>().size(), 36u);
      hash_lines.insert(Md5(a["value"]) + "," + uuid);
    }
  }
  EXPECT_EQ(attrs, st.written);
  EXPECT_EQ(attrs, 11u);
  EXPECT_EQ(manifest.size(), 2u);  // (energy, green) and (, amber)
  // hashes.csv: md5 of each attribute value, with its event.
  std::set<std::string> csv;
  std::size_t pos = 0;
  const std::string& h = files["hashes.csv"];
  while (pos < h.size()) {
    std::size_t nl = h.find('\n', pos);
    csv.insert(h.substr(pos, nl - pos));
    pos = nl + 1;
  }
  EXPECT_EQ(csv, hash_lines);
  // Deterministic: the same input gives the same feed.
  ExportStats st2;
  EXPECT_EQ(ExportMisp(in, Opts(), st2).value(), files);
}

std::string FromBase64(const std::string& s) {
  std::string out;
  int val = 0, bits = -8;
  for (char c : s) {
    const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char* p = std::strchr(k, c);
    if (c == '=' || !p) break;
    val = (val << 6) + static_cast<int>(p - k);
    bits += 6;
    if (bits >= 0) {
      out += static_cast<char>((val >> bits) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

TEST(Export, Suricata) {
  auto in = Sample();
  ExportStats st;
  auto files = ExportSuricata(in, Opts(), st).value();
  // Dataset of exact names, base64 per line as Suricata's string datasets are.
  std::set<std::string> names;
  std::size_t pos = 0;
  const std::string& ds = files["entente-domains.lst"];
  while (pos < ds.size()) {
    std::size_t nl = ds.find('\n', pos);
    names.insert(FromBase64(ds.substr(pos, nl - pos)));
    pos = nl + 1;
  }
  EXPECT_EQ(names,
            (std::set<std::string>{"exact.example", "walled.example", "xn--bcher-kva.example"}));
  EXPECT_EQ(files["entente-md5.lst"], "d41d8cd98f00b204e9800998ecf8427e\n");
  EXPECT_EQ(files["entente-sha256.lst"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
  // Rules: one per line, each "alert <proto> ... (... sid:N; rev:1;)", sids
  // unique, every referenced file present.
  const std::string& rules = files["entente.rules"];
  std::set<std::string> sids;
  pos = 0;
  int n = 0;
  while (pos < rules.size()) {
    std::size_t nl = rules.find('\n', pos);
    std::string r = rules.substr(pos, nl - pos);
    pos = nl + 1;
    if (r.starts_with("#")) continue;
    ++n;
    EXPECT_TRUE(r.starts_with("alert ")) << r;
    EXPECT_TRUE(r.ends_with("rev:1;)")) << r;
    auto s = r.find("sid:");
    ASSERT_NE(s, std::string::npos);
    EXPECT_TRUE(sids.insert(r.substr(s + 4, r.find(';', s) - s - 4)).second) << r;
    for (const char* f :
         {"entente-domains.lst", "entente-md5.lst", "entente-sha256.lst", "entente-sha1.lst"})
      if (r.find(f) != std::string::npos) {
        EXPECT_TRUE(files.contains(f)) << f;
      }
    EXPECT_EQ(std::count(r.begin(), r.end(), '('), std::count(r.begin(), r.end(), ')')) << r;
  }
  EXPECT_EQ(n, 3 + 1 + 2 + 2);  // dataset x3, subdomain rule, addresses dst/src, md5, sha256
  EXPECT_NE(rules.find("dns.query; dotprefix; content:\".bad.example\"; endswith;"),
            std::string::npos);
  EXPECT_NE(rules.find("[203.0.113.0/24,2001:db8::/32,198.51.100.7]"), std::string::npos);
}

}  // namespace
}  // namespace entente::match
