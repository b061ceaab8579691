// TAXII 2.1 query parameters (section 3.4), the cursor, timestamps,
// content negotiation and Basic credentials: valid inputs and every kind of
// malformed one (each is a 400 at the endpoint).
#include "taxii/query.h"

#include <gtest/gtest.h>

#include <limits>

namespace entente::taxii {
namespace {

using Params = std::multimap<std::string, std::string>;

Query MustParse(const Params& p, Endpoint e = Endpoint::kObjects) {
  auto q = ParseQuery(p, e);
  EXPECT_TRUE(q) << q.error().ToString();
  return q ? *q : Query{};
}

std::string ErrorOf(const Params& p, Endpoint e = Endpoint::kObjects) {
  auto q = ParseQuery(p, e);
  if (q) return "(parsed)";
  EXPECT_EQ(q.error().code, ErrorCode::kInvalidArgument);
  return q.error().field + ": " + q.error().message;
}

TEST(TaxiiQuery, Defaults) {
  Query q = MustParse({});
  EXPECT_EQ(q.limit, kDefaultLimit);
  EXPECT_EQ(q.after_seq, 0);
  EXPECT_FALSE(q.added_after_ms);
  EXPECT_TRUE(q.version.Default());
  EXPECT_TRUE(q.ids.empty() && q.types.empty() && q.spec_versions.empty());
}

TEST(TaxiiQuery, EveryFilter) {
  Query q = MustParse({{"added_after", "2016-01-01T01:01:01.123456Z"},
                       {"limit", "25"},
                       {"next", EncodeCursor(4242)},
                       {"match[id]",
                        "indicator--3600ad1b-fff1-4c98-bcc9-4de3bc2e2ffb,sighting--4600ad1b-fff1-"
                        "4c58-bcc9-4de3bc5e2ffd"},
                       {"match[type]", "incident,malware"},
                       {"match[version]", "first,2018-03-02T01:01:01.123Z,last"},
                       {"match[spec_version]", "2.0,2.1"}});
  EXPECT_EQ(*q.added_after_ms, 1451610061123);
  EXPECT_EQ(q.limit, 25u);
  EXPECT_EQ(q.after_seq, 4242);
  EXPECT_EQ(q.ids.size(), 2u);
  EXPECT_EQ(q.types, (std::vector<std::string>{"incident", "malware"}));
  EXPECT_TRUE(q.version.first && q.version.last && !q.version.all);
  EXPECT_EQ(q.version.keys, (std::vector<std::string>{"2018-03-02T01:01:01.123000000Z"}));
  EXPECT_EQ(q.spec_versions, (std::vector<std::string>{"2.0", "2.1"}));
}

TEST(TaxiiQuery, LimitIsClampedNotRefused) {
  EXPECT_EQ(MustParse({{"limit", "99999999999"}}).limit, kMaxLimit);
  EXPECT_EQ(MustParse({{"limit", "1"}}).limit, 1u);
}

TEST(TaxiiQuery, AddedAfterRoundsDownToTheMillisecond) {
  EXPECT_EQ(*MustParse({{"added_after", "1970-01-01T00:00:00.000999Z"}}).added_after_ms, 0);
  EXPECT_EQ(*MustParse({{"added_after", "1969-12-31T23:59:59.9995Z"}}).added_after_ms, -1);
  EXPECT_EQ(*MustParse({{"added_after", "2020-02-29T00:00:00Z"}}).added_after_ms, 1582934400000);
}

TEST(TaxiiQuery, MalformedParametersAreRefused) {
  EXPECT_EQ(ErrorOf({{"limit", "0"}}), "limit: must be a positive integer");
  EXPECT_EQ(ErrorOf({{"limit", "-3"}}), "limit: must be a positive integer");
  EXPECT_EQ(ErrorOf({{"limit", "007"}}), "limit: must be a positive integer");
  EXPECT_EQ(ErrorOf({{"limit", ""}}), "limit: must be a positive integer");
  EXPECT_EQ(ErrorOf({{"limit", "1"}, {"limit", "2"}}), "limit: must be given once");
  EXPECT_NE(ErrorOf({{"added_after", "2016-01-01"}}).find("added_after: must be a timestamp"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"added_after", "2019-02-29T00:00:00Z"}}).find("timestamp"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"added_after", "2016-01-01T00:00:00+01:00"}}).find("timestamp"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"added_after", "2016-01-01T24:00:00Z"}}).find("timestamp"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"added_after", "2016-01-01T00:00:00.Z"}}).find("timestamp"),
            std::string::npos);
  EXPECT_NE(ErrorOf({{"added_after", "2016-01-01T00:00:00.1234567890Z"}}).find("timestamp"),
            std::string::npos);
  EXPECT_EQ(ErrorOf({{"next", "abc"}}), "next: is not a value this server gave in `next`");
  EXPECT_EQ(ErrorOf({{"next", "AAAAAAAAAAAA"}}), "next: is not a value this server gave in `next`");
  EXPECT_EQ(ErrorOf({{"match[id]", "indicator--x"}}),
            "match[id]: `indicator--x` is not a STIX identifier");
  EXPECT_EQ(ErrorOf({{"match[type]", "Indicator"}}),
            "match[type]: `Indicator` is not an object type");
  EXPECT_EQ(ErrorOf({{"match[type]", "indicator,,malware"}}),
            "match[type]: must not have an empty value between commas");
  EXPECT_EQ(ErrorOf({{"match[type]", ""}}), "match[type]: must not be empty");
  EXPECT_EQ(ErrorOf({{"match[spec_version]", "2"}}),
            "match[spec_version]: `2` is not a version n.m");
  EXPECT_EQ(ErrorOf({{"match[version]", "all,last"}}),
            "match[version]: `all` cannot be combined with other versions");
  EXPECT_EQ(ErrorOf({{"match[version]", "first,first"}}), "match[version]: `first` is given twice");
  EXPECT_EQ(ErrorOf({{"match[version]", "2016-01-01T00:00:00Z,2016-01-01T00:00:00.000Z"}}),
            "match[version]: `2016-01-01T00:00:00.000Z` is given twice");
  EXPECT_EQ(ErrorOf({{"match[version]", "newest"}}),
            "match[version]: `newest` is not last, first, all or a timestamp");
  EXPECT_EQ(ErrorOf({{"match[foo]", "x"}}), "match[foo]: is not a filter of this endpoint");
  std::string many;
  for (int i = 0; i <= 100; ++i) many += (i ? ",t" : "t") + std::to_string(i);
  EXPECT_EQ(ErrorOf({{"match[type]", many}}), "match[type]: at most 100 values");
}

TEST(TaxiiQuery, EachEndpointTakesItsOwnParameters) {
  // 5.6 Get an Object: version and spec_version only among the match fields.
  EXPECT_EQ(ErrorOf({{"match[type]", "indicator"}}, Endpoint::kObject),
            "match[type]: is not a filter of this endpoint");
  EXPECT_TRUE(ParseQuery({{"match[version]", "all"}}, Endpoint::kObject));
  // 5.8 versions: no match[version].
  EXPECT_EQ(ErrorOf({{"match[version]", "all"}}, Endpoint::kVersions),
            "match[version]: is not a filter of this endpoint");
  EXPECT_TRUE(ParseQuery({{"limit", "3"}, {"match[spec_version]", "2.1"}}, Endpoint::kVersions));
  // 5.7 delete: match[version] and match[spec_version] only.
  EXPECT_EQ(ErrorOf({{"limit", "3"}}, Endpoint::kDelete),
            "limit: is not a filter of this endpoint");
  EXPECT_TRUE(ParseQuery({{"match[version]", "first"}}, Endpoint::kDelete));
}

TEST(TaxiiCursor, RoundTripsAndRefusesForgeries) {
  for (std::int64_t seq : {std::int64_t{1}, std::int64_t{255}, std::int64_t{1} << 40,
                           std::numeric_limits<std::int64_t>::max()}) {
    std::string c = EncodeCursor(seq);
    EXPECT_EQ(c.size(), 12u);
    auto back = DecodeCursor(c);
    ASSERT_TRUE(back) << c;
    EXPECT_EQ(*back, seq);
  }
  EXPECT_FALSE(DecodeCursor(EncodeCursor(0)));
  std::string c = EncodeCursor(77);
  c[0] = c[0] == 'A' ? 'B' : 'A';  // another version byte
  EXPECT_FALSE(DecodeCursor(c));
  EXPECT_FALSE(DecodeCursor("AQAAAAAAAAB="));
  EXPECT_FALSE(DecodeCursor(""));
}

TEST(TaxiiTimestamp, FormatsWithMicrosecondsAndParsesBack) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(1451610061123), "2016-01-01T01:01:01.123000Z");
  EXPECT_EQ(FormatTimestamp(951782400000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(-1), "1969-12-31T23:59:59.999000Z");
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1700000000123}, std::int64_t{-86400001},
                          std::int64_t{253402300799999}}) {
    auto us = ParseTimestampMicros(FormatTimestamp(ms));
    ASSERT_TRUE(us);
    EXPECT_EQ(*us, ms * 1000);
  }
}

TEST(TaxiiMediaTypes, AcceptHeader) {
  EXPECT_TRUE(AcceptsTaxii("", false));
  EXPECT_TRUE(AcceptsTaxii("application/taxii+json;version=2.1", false));
  EXPECT_TRUE(AcceptsTaxii("application/taxii+json", false));
  EXPECT_TRUE(AcceptsTaxii("Application/TAXII+JSON; version=\"2.1\"", false));
  EXPECT_TRUE(AcceptsTaxii("text/html, application/taxii+json;version=2.1;q=0.5", false));
  EXPECT_TRUE(AcceptsTaxii("*/*", false));
  EXPECT_TRUE(AcceptsTaxii("application/*", false));
  EXPECT_TRUE(AcceptsTaxii("application/stix+json;version=2.1", true));
  EXPECT_FALSE(AcceptsTaxii("application/stix+json;version=2.1", false));
  EXPECT_FALSE(AcceptsTaxii("application/taxii+json;version=2.0", false));
  EXPECT_FALSE(AcceptsTaxii("application/taxii+json;version=2.1;q=0", false));
  EXPECT_FALSE(AcceptsTaxii("application/json", false));
  EXPECT_FALSE(AcceptsTaxii("text/html", false));
  EXPECT_FALSE(AcceptsTaxii("garbage", false));
}

TEST(TaxiiMediaTypes, ContentType) {
  EXPECT_TRUE(IsTaxiiContentType("application/taxii+json;version=2.1"));
  EXPECT_TRUE(IsTaxiiContentType("application/taxii+json"));
  EXPECT_TRUE(IsTaxiiContentType("application/taxii+json; charset=UTF-8; version=2.1"));
  EXPECT_FALSE(IsTaxiiContentType("application/taxii+json;version=2.0"));
  EXPECT_FALSE(IsTaxiiContentType("application/json"));
  EXPECT_FALSE(IsTaxiiContentType("application/stix+json;version=2.1"));
  EXPECT_FALSE(IsTaxiiContentType("application/taxii+json;charset=latin1"));
  EXPECT_FALSE(IsTaxiiContentType(""));
}

TEST(TaxiiBasicAuth, Credentials) {
  auto c = ParseBasicAuthorization("Basic YWxpY2U6czNjcjN0OmFuZCBtb3Jl");  // alice:s3cr3t:and more
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr3t:and more");
  auto d = ParseBasicAuthorization("basic OnRvaw==");  // ":tok"
  ASSERT_TRUE(d);
  EXPECT_EQ(d->password, "tok");
  EXPECT_FALSE(ParseBasicAuthorization("Basic bm9jb2xvbg=="));  // "nocolon"
  EXPECT_FALSE(ParseBasicAuthorization("Basic !!!!"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic YQ=a"));
  EXPECT_FALSE(ParseBasicAuthorization("Bearer abc"));
  EXPECT_FALSE(ParseBasicAuthorization("Basic "));
}

}  // namespace
}  // namespace entente::taxii
