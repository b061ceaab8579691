#include "match/index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace entente::match {
namespace {

Indicator Ind(std::string id, Kind kind, std::string value, bool sub = false) {
  Indicator i;
  i.id = std::move(id);
  i.kind = kind;
  i.value = std::move(value);
  i.subdomains = sub;
  return i;
}

std::set<std::string> Ids(const Matcher& m, std::span<const Hit> hits) {
  std::set<std::string> out;
  for (const Hit& h : hits) out.insert(std::string(m.index().Id(h.meta)));
  return out;
}

using S = std::set<std::string>;

TEST(Index, DomainsExactAndSubdomains) {
  std::vector<Indicator> in = {Ind("exact", Kind::kDomain, "Evil.Example."),
                               Ind("tree", Kind::kDomain, "bad.example", true),
                               Ind("idn", Kind::kDomain, "bücher.example", true),
                               Ind("tree2", Kind::kDomain, "example", true)};
  auto ix = Index::Build(in).value();
  Matcher m(ix);
  EXPECT_EQ(Ids(m, m.MatchDomain("evil.example")), (S{"exact", "tree2"}));
  EXPECT_EQ(Ids(m, m.MatchDomain("www.evil.example")),
            (S{"tree2"}));  // exact does not cover subdomains
  EXPECT_EQ(Ids(m, m.MatchDomain("bad.example")), (S{"tree", "tree2"}));
  EXPECT_EQ(Ids(m, m.MatchDomain("a.b.bad.example")), (S{"tree", "tree2"}));
  EXPECT_EQ(Ids(m, m.MatchDomain("notbad.example")),
            (S{"tree2"}));  // label boundary, not substring
  EXPECT_EQ(Ids(m, m.MatchDomain("bad.example.org")), S{});
  EXPECT_EQ(Ids(m, m.Match("WWW.BÜCHER.example.").value()), (S{"idn", "tree2"}));
  auto hits = m.MatchDomain("x.bad.example");
  auto it = std::find_if(hits.begin(), hits.end(),
                         [&](const Hit& h) { return m.index().Id(h.meta) == "tree"; });
  ASSERT_NE(it, hits.end());
  EXPECT_EQ(it->type, MatchType::kSubdomain);
}

TEST(Index, EveryCoveringPrefixLongestFirst) {
  std::vector<Indicator> in = {
      Ind("/8", Kind::kIp, "10.0.0.0/8"),    Ind("/24", Kind::kIp, "10.1.2.0/24"),
      Ind("/32", Kind::kIp, "10.1.2.3"),     Ind("other", Kind::kIp, "10.1.3.0/24"),
      Ind("v6", Kind::kIp, "2001:db8::/32"), Ind("v6host", Kind::kIp, "2001:db8::1"),
      Ind("all", Kind::kIp, "0.0.0.0/0")};
  auto ix = Index::Build(in).value();
  Matcher m(ix);
  auto hits = m.Match("10.1.2.3").value();
  std::vector<std::string> order;
  for (const Hit& h : hits) order.push_back(std::string(ix->Id(h.meta)));
  EXPECT_EQ(order, (std::vector<std::string>{"/32", "/24", "/8", "all"}));
  EXPECT_EQ(hits[0].type, MatchType::kExact);
  EXPECT_EQ(hits[1].type, MatchType::kCidr);
  EXPECT_EQ(hits[1].prefix, 24);
  EXPECT_EQ(Ids(m, m.Match("10.200.0.1").value()), (S{"/8", "all"}));
  EXPECT_EQ(Ids(m, m.Match("11.0.0.1").value()), (S{"all"}));
  EXPECT_EQ(Ids(m, m.Match("2001:db8::1").value()), (S{"v6", "v6host"}));
  EXPECT_EQ(Ids(m, m.Match("2001:db9::1").value()), S{});
  // A range as query: the indicators covering the whole range.
  EXPECT_EQ(Ids(m, m.Match("10.1.2.0/25").value()), (S{"/24", "/8", "all"}));
}

TEST(Index, ExactKindsAndDuplicates) {
  std::string sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
  std::vector<Indicator> in = {Ind("h1", Kind::kSha256, sha), Ind("h2", Kind::kSha256, sha),
                               Ind("md5", Kind::kMd5, "d41d8cd98f00b204e9800998ecf8427e"),
                               Ind("mail", Kind::kEmail, "Phish@Example.com"),
                               Ind("url", Kind::kUrl, "HTTP://Example.com:80/login?a=1#x")};
  auto ix = Index::Build(in).value();
  EXPECT_EQ(ix->stats().keys, 4u);
  Matcher m(ix);
  EXPECT_EQ(Ids(m, m.Match(sha).value()), (S{"h1", "h2"}));
  EXPECT_EQ(Ids(m, m.Match("D41D8CD98F00B204E9800998ECF8427E").value()), (S{"md5"}));
  EXPECT_EQ(Ids(m, m.Match("phish@EXAMPLE.com").value()), (S{"mail"}));
  EXPECT_EQ(Ids(m, m.Match("http://example.com/login?a=1").value()), (S{"url"}));
  EXPECT_EQ(Ids(m, m.Match("http://example.com/login?a=2").value()), S{});
  // Same bytes, other class: an email key does not answer a domain query.
  EXPECT_EQ(Ids(m, m.Match("example.com").value()), S{});
  EXPECT_FALSE(m.Match("not a domain!"));
}

TEST(Index, PolicyRevocationAndValidity) {
  std::vector<Indicator> in;
  auto add = [&](std::string id, Tlp tlp, Pap pap, std::string community) {
    Indicator i = Ind(std::move(id), Kind::kDomain, "x.example");
    i.tlp = tlp;
    i.pap = pap;
    i.community = std::move(community);
    in.push_back(i);
  };
  add("green", Tlp::kGreen, Pap::kGreen, "energy");
  add("red", Tlp::kRed, Pap::kGreen, "energy");
  add("pap-red", Tlp::kGreen, Pap::kRed, "energy");
  add("other-community", Tlp::kGreen, Pap::kGreen, "finance");
  in.push_back(Ind("revoked", Kind::kDomain, "x.example"));
  in.back().revoked = true;
  in.back().community = "energy";
  in.push_back(Ind("expired", Kind::kDomain, "x.example"));
  in.back().valid_until = 1'000'000'000'000;
  in.back().community = "energy";
  in.push_back(Ind("future", Kind::kDomain, "x.example"));
  in.back().valid_from = 2'000'000'000'000;
  in.back().community = "energy";
  in.push_back(Ind("bad", Kind::kDomain, "exa mple"));
  in.back().community = "energy";
  Policy p;
  p.max_tlp = Tlp::kAmber;
  p.max_pap = Pap::kAmber;
  p.communities = {"energy"};
  p.now = 1'700'000'000'000;
  auto ix = Index::Build(in, p).value();
  const auto& st = ix->stats();
  EXPECT_EQ(st.revoked, 1u);
  EXPECT_EQ(st.expired, 1u);
  EXPECT_EQ(st.not_allowed, 3u);
  EXPECT_EQ(st.invalid, 1u);
  ASSERT_EQ(st.issues.size(), 1u);
  EXPECT_EQ(st.issues[0].indicator_id, "bad");
  Matcher m(ix, 1'700'000'000'000);
  EXPECT_EQ(Ids(m, m.MatchDomain("x.example")), (S{"green"}));  // "future" not yet valid
  m.SetNow(2'000'000'000'000);
  EXPECT_EQ(Ids(m, m.MatchDomain("x.example")), (S{"green", "future"}));
  auto hits = m.MatchDomain("x.example");
  EXPECT_EQ(ix->Community(hits[0].meta), "energy");
  EXPECT_EQ(ix->meta()[hits[0].meta].tlp, Tlp::kGreen);
}

TEST(Index, RegexesCompiledTogether) {
  std::vector<Indicator> in = {
      Ind("dga", Kind::kRegex, "^[a-z]{12}\\.top$"), Ind("login", Kind::kRegex, "/wp-login\\.php"),
      Ind("broken", Kind::kRegex, "(unclosed"), Ind("backref", Kind::kRegex, "(a)\\1")};
  in[1].target = Kind::kUrl;
  auto ix = Index::Build(in).value();
  EXPECT_EQ(ix->stats().regexes, 2u);
  EXPECT_EQ(ix->stats().invalid, 2u);  // Vectorscan rejects both; each reported
  Matcher m(ix);
  EXPECT_EQ(Ids(m, m.MatchDomain("abcdefghijkl.top")), (S{"dga"}));
  EXPECT_EQ(Ids(m, m.MatchDomain("abc.top")), S{});
  EXPECT_EQ(Ids(m, m.Match("https://blog.example/wp-login.php?x").value()), (S{"login"}));
  EXPECT_EQ(Ids(m, m.Match("https://blog.example/").value()), S{});
}

TEST(Index, CompactStorage) {
  std::vector<Indicator> in;
  std::size_t raw = 0;
  for (int i = 0; i < 20000; ++i) {
    in.push_back(
        Ind("i" + std::to_string(i), Kind::kDomain, "host" + std::to_string(i) + ".example.net"));
    raw += in.back().value.size();
  }
  auto ix = Index::Build(in).value();
  EXPECT_EQ(ix->stats().raw_value_bytes, raw);
  // Keys (length byte + name + 4-byte metadata index) and the table (5 bytes
  // a slot at a load of 0.8): at most 1.5x the raw values for these names.
  EXPECT_LE(ix->stats().LookupBytesPerValueByte(), 1.5);
  EXPECT_EQ(sizeof(Meta), 24u);
  Matcher m(ix);
  for (int i = 0; i < 20000; i += 997)
    EXPECT_EQ(m.MatchDomain("a.host" + std::to_string(i) + ".example.net").size(), 0u);
  for (int i = 0; i < 20000; i += 997)
    EXPECT_EQ(Ids(m, m.MatchDomain("host" + std::to_string(i) + ".example.net")),
              (S{"i" + std::to_string(i)}));
}

// The pre-filter (last two labels, or a one-label key) never hides a hit:
// every name built from these labels gets exactly the hits of a brute-force
// reference; and names it rejects are reported by PrefetchDomain as
// certain misses.
TEST(Index, DomainPreFilterAgreesWithBruteForce) {
  const std::vector<std::string> labels = {"a", "bad", "example", "com", "zip", "x", "co", "uk"};
  std::vector<Indicator> in;
  std::vector<std::pair<std::string, bool>> ref;  // value, subdomains
  auto add = [&](const std::string& v, bool sub) {
    in.push_back(Ind("i" + std::to_string(in.size()), Kind::kDomain, v, sub));
    ref.emplace_back(v, sub);
  };
  add("zip", true);  // a one-label key
  add("uk", false);
  add("bad.example", true);
  add("example.com", false);
  add("a.bad.example", false);
  add("x.co.uk", true);
  add("bad.com", true);
  auto ix = Index::Build(in).value();
  Matcher m(ix);
  std::size_t names = 0, hit_names = 0, rejected = 0;
  // Every name of 1 to 4 labels from the list.
  std::vector<std::string> level = {""};
  for (int depth = 1; depth <= 4; ++depth) {
    std::vector<std::string> next;
    for (const auto& suffix : level)
      for (const auto& l : labels) next.push_back(suffix.empty() ? l : l + "." + suffix);
    for (const auto& name : next) {
      S want;
      for (std::size_t i = 0; i < ref.size(); ++i) {
        const auto& [v, sub] = ref[i];
        if (name == v || (sub && name.size() > v.size() && name.ends_with("." + v)))
          want.insert("i" + std::to_string(i));
      }
      bool may = m.PrefetchDomain(name);
      S got = Ids(m, m.MatchDomain(name));
      EXPECT_EQ(got, want) << name;
      if (!want.empty()) {
        EXPECT_TRUE(may) << name;
      }
      ++names;
      hit_names += !want.empty();
      rejected += !may;
    }
    level = std::move(next);
  }
  EXPECT_EQ(names, 8u + 64 + 512 + 4096);
  EXPECT_GT(hit_names, 100u);
  EXPECT_GT(rejected, names / 3);  // most names end in two labels no key has
}

TEST(Index, EmptyIndex) {
  auto ix = Index::Build({}).value();
  Matcher m(ix);
  EXPECT_TRUE(m.MatchDomain("example.com").empty());
  EXPECT_TRUE(m.Match("1.2.3.4").value().empty());
}

}  // namespace
}  // namespace entente::match
