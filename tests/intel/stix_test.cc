#include "intel/stix.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "intel/pattern.h"

namespace entente::intel {
namespace {

namespace fs = std::filesystem;

fs::path StixDataDir() {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  return fs::path(src ? src : ".") / "data" / "stix";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> ExampleFiles() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(StixDataDir() / "examples"))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// A valid indicator to mutate.
Json Indicator() {
  return Json::parse(R"({
    "type": "indicator",
    "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2016-04-06T20:03:48.000Z",
    "modified": "2016-04-06T20:03:48.000Z",
    "name": "Bad domain",
    "indicator_types": ["malicious-activity"],
    "pattern": "[domain-name:value = 'evil.example.com']",
    "pattern_type": "stix",
    "valid_from": "2016-01-01T00:00:00Z",
    "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]
  })");
}

TEST(StixTest, OfficialExamplesAreValid) {
  const auto& v = StixValidator::Default();
  size_t objects = 0;
  for (const auto& file : ExampleFiles()) {
    SCOPED_TRACE(file.filename().string());
    std::string text = ReadFile(file);
    auto env = ReadBundle(text, {}, [&](size_t i, std::string_view obj) -> Status {
      auto j = ParseObject(obj, {});
      EXPECT_TRUE(j) << i << ": " << j.error().ToString();
      if (!j) return Ok();
      auto problem = v.Validate(*j);
      EXPECT_FALSE(problem) << (*j)["id"] << " " << problem->path << ": " << problem->reason;
      if ((*j)["type"] == "indicator") {
        auto p = ParsePattern((*j)["pattern"].get<std::string>());
        EXPECT_TRUE(p);
        if (p) {
          EXPECT_EQ(*ParsePattern(PrintPattern(*p)), *p);
        }
      }
      ++objects;
      return Ok();
    });
    EXPECT_TRUE(env) << env.error().ToString();
  }
  EXPECT_GE(objects, 29u);
}

TEST(StixTest, InteropProfileIsStricter) {
  const auto& v = StixValidator::Default();
  Json ind = Indicator();
  ind["created_by_ref"] = "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff";
  ValidationOptions interop;
  interop.interop_profile = true;
  EXPECT_FALSE(v.Validate(ind, interop));
  ind.erase("created_by_ref");
  EXPECT_FALSE(v.Validate(ind));
  auto p = v.Validate(ind, interop);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, "/created_by_ref");
}

struct Mutation {
  std::string name;
  std::function<void(Json&)> apply;
  std::string path;
  std::string reason;  // substring
};

TEST(StixTest, InvalidObjectsAreRejectedWithPathAndReason) {
  const std::vector<Mutation> cases = {
      {"not an object", [](Json& j) { j = Json::array(); }, "", "must be a JSON object"},
      {"no type", [](Json& j) { j.erase("type"); }, "/type", "missing"},
      {"unknown type", [](Json& j) { j["type"] = "indikator"; }, "/type", "unknown object type"},
      {"nested bundle", [](Json& j) { j["type"] = "bundle"; }, "/type", "cannot be nested"},
      {"id prefix", [](Json& j) { j["id"] = "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"; },
       "/id", "differs from the type"},
      {"bad uuid", [](Json& j) { j["id"] = "indicator--8e2e2d2b-17d4-4cbf-938f"; }, "/id",
       "not a STIX identifier"},
      {"uuid v7", [](Json& j) { j["id"] = "indicator--018e2e2d-17d4-7cbf-938f-98ee46b3cd3f"; },
       "/id", "not a STIX identifier"},
      {"no pattern", [](Json& j) { j.erase("pattern"); }, "/pattern",
       "required property is missing"},
      {"bad pattern", [](Json& j) { j["pattern"] = "[domain-name:value = 'x'"; }, "/pattern",
       "invalid STIX pattern: offset 24: expected ']'"},
      {"pcre pattern not parsed as STIX",
       [](Json& j) {
         j["pattern_type"] = "pcre";
         j["pattern"] = "^evil[";
       },
       "", ""},
      {"spec 2.0", [](Json& j) { j["spec_version"] = "2.0"; }, "/spec_version", "must be \"2.1\""},
      {"no spec_version", [](Json& j) { j.erase("spec_version"); }, "/spec_version", "missing"},
      {"timestamp without Z", [](Json& j) { j["created"] = "2016-04-06T20:03:48.000"; }, "/created",
       "does not match the pattern"},
      {"timestamp without millis", [](Json& j) { j["modified"] = "2016-04-06T20:03:48Z"; },
       "/modified", "timestamp_millis"},
      {"30 February", [](Json& j) { j["valid_from"] = "2016-02-30T00:00:00Z"; }, "/valid_from",
       "not a valid RFC 3339 UTC timestamp"},
      {"modified before created", [](Json& j) { j["modified"] = "2016-04-06T20:03:47.999Z"; },
       "/modified", "must be at or after created"},
      {"valid_until not after valid_from",
       [](Json& j) { j["valid_until"] = "2016-01-01T00:00:00Z"; }, "/valid_until",
       "must be after valid_from"},
      {"confidence range", [](Json& j) { j["confidence"] = 101; }, "/confidence",
       "must be at most 100"},
      {"labels type", [](Json& j) { j["labels"] = "x"; }, "/labels", "must be array, found string"},
      {"empty labels", [](Json& j) { j["labels"] = Json::array(); }, "/labels", "at least 1 item"},
      {"bad created_by_ref", [](Json& j) { j["created_by_ref"] = "someone"; }, "/created_by_ref",
       "does not match the pattern"},
      {"bad custom ref", [](Json& j) { j["x_acme_target_ref"] = "not-an-id"; },
       "/x_acme_target_ref", "must hold a STIX identifier"},
      {"bad custom refs", [](Json& j) { j["x_acme_refs"] = Json::array({"indicator--x"}); },
       "/x_acme_refs/0", "list of STIX identifiers"},
      {"bad marking ref", [](Json& j) { j["object_marking_refs"] = Json::array({"tlp:red"}); },
       "/object_marking_refs/0", "does not match the pattern"},
      {"upper-case custom property", [](Json& j) { j["X_Custom"] = 1; }, "/X_Custom",
       "custom property names must match"},
      {"short custom property", [](Json& j) { j["xy"] = 1; }, "/xy", ""},
      {"reserved property", [](Json& j) { j["severity"] = "high"; }, "", "severity"},
      {"kill chain phase",
       [](Json& j) {
         j["kill_chain_phases"] = Json::array({{{"x", 1}}});
       },
       "/kill_chain_phases/0/kill_chain_name", "required property is missing"},
  };
  const auto& v = StixValidator::Default();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Json j = Indicator();
    c.apply(j);
    auto p = v.Validate(j);
    if (c.reason.empty() && c.path.empty()) {
      EXPECT_FALSE(p) << p->path << ": " << p->reason;
      continue;
    }
    ASSERT_TRUE(p) << j.dump();
    EXPECT_EQ(p->path, c.path) << p->reason;
    EXPECT_NE(p->reason.find(c.reason), std::string::npos) << p->reason;
  }
}

TEST(StixTest, CustomTypesAndObservables) {
  const auto& v = StixValidator::Default();
  Json custom = Json::parse(R"({"type": "x-acme-widget", "spec_version": "2.1",
    "id": "x-acme-widget--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.000Z",
    "x_size": 3})");
  EXPECT_FALSE(v.Validate(custom));
  ValidationOptions strict;
  strict.allow_custom_types = false;
  ASSERT_TRUE(v.Validate(custom, strict));
  EXPECT_EQ(v.Validate(custom, strict)->path, "/type");

  Json ip = Json::parse(R"({"type": "ipv4-addr", "spec_version": "2.1",
    "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3"})");
  EXPECT_FALSE(v.Validate(ip));
  ip["value"] = "198.51.100.300";
  auto p = v.Validate(ip);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->path, "/value");
  Json domain = Json::parse(R"({"type": "domain-name", "spec_version": "2.1",
    "id": "domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5", "value": "example.com"})");
  EXPECT_FALSE(v.Validate(domain));
  domain["value"] = "bad domain.com";
  EXPECT_TRUE(v.Validate(domain));
}

TEST(StixTest, VersionKeySortsInTimeOrder) {
  EXPECT_EQ(VersionKey("2016-04-06T20:03:48Z"), "2016-04-06T20:03:48.000000000Z");
  EXPECT_EQ(VersionKey("2016-04-06T20:03:48.1Z"), "2016-04-06T20:03:48.100000000Z");
  EXPECT_LT(VersionKey("2016-04-06T20:03:48.09Z"), VersionKey("2016-04-06T20:03:48.1Z"));
  EXPECT_EQ(VersionKey("2016-02-30T20:03:48Z"), "");
  EXPECT_EQ(VersionKey("2016-04-06T20:03:48"), "");
  EXPECT_EQ(VersionKey("2016-04-06T20:03:48.Z"), "");
}

TEST(StixTest, BundleEnvelopeErrors) {
  auto none = [](size_t, std::string_view) { return Ok(); };
  struct Case {
    std::string text;
    std::string message;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"", "malformed bundle at byte 0: expected '{'", ""},
      {"[]", "expected '{'", ""},
      {R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [)",
       "expected a value", ""},
      {R"({"type": "bundle", "objects": []})", "required property is missing", "/id"},
      {R"({"type": "bundle", "id": "x", "objects": []})", "bundle identifier", "/id"},
      {R"({"type": "bundle", "type": "bundle"})", "appears twice", "/type"},
      {R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "spec_version": "2.0", "objects": []})",
       "STIX 2.0", "/spec_version"},
      {R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"} x)",
       "unexpected text after the bundle", ""},
      {R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [{"a": "}]})",
       "unterminated string", ""},
      {R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "objects": [}]})",
       "byte 85: expected a value", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ReadBundle(c.text, {}, none);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().field, c.field);
  }
}

TEST(StixTest, BundleLimits) {
  BundleLimits limits;
  limits.max_objects = 2;
  limits.max_depth = 4;
  std::string three = R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "objects": [{}, {}, {}]})";
  size_t seen = 0;
  auto r = ReadBundle(three, limits, [&](size_t, std::string_view) {
    ++seen;
    return Ok();
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(seen, 2u);

  std::string deep = R"({"type": "bundle", "id": "bundle--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "objects": [)" + std::string(100000, '[') +
                     std::string(100000, ']') + "]}";
  auto d = ReadBundle(deep, limits, [](size_t, std::string_view) { return Ok(); });
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(d.error().message.find("nested deeper"), std::string::npos);

  limits.max_bytes = 10;
  auto big = ReadBundle(three, limits, [](size_t, std::string_view) { return Ok(); });
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, ErrorCode::kResourceExhausted);

  // An object deeper than allowed fails when parsed.
  BundleLimits shallow;
  shallow.max_depth = 3;
  auto obj = ParseObject(R"({"a": {"b": {"c": {"d": 1}}}})", shallow);
  ASSERT_FALSE(obj);
}

TEST(StixTest, SingleObjectReadsAsBundleOfOne) {
  std::string text = Indicator().dump();
  std::vector<std::string> got;
  auto r = ReadBundle(text, {}, [&](size_t, std::string_view o) {
    got.emplace_back(o);
    return Ok();
  });
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->object_count, 1u);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(Json::parse(got[0]), Indicator());
}

}  // namespace
}  // namespace entente::intel
