// The hand-written checks of the common shapes (fast_shape.h) against the
// interpreted JSON Schema validator: whatever FastSchemaAccepts accepts, the
// official schema accepts, and StixValidator gives the same answer (same
// path, same reason) with and without the fast path, on the official
// examples and on thousands of mutations of the common shapes.
#include "intel/fast_shape.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "intel/stix.h"
#include "jcs/jcs.h"

namespace entente::intel {
namespace internal {
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedSchemas();
}
namespace {

namespace fs = std::filesystem;

const SchemaSet& Schemas() {
  static const SchemaSet* const kSet = [] {
    std::vector<std::pair<std::string, std::string>> docs;
    for (const auto& [path, text] : internal::EmbeddedSchemas())
      docs.emplace_back(std::string(path), std::string(text));
    auto set = SchemaSet::Compile(docs);
    EXPECT_TRUE(set.has_value());
    return set->release();
  }();
  return *kSet;
}

// What the interpreted schema of the object's type says (nullopt: valid).
std::optional<SchemaViolation> Interpreted(const Json& o) {
  const std::string type = o.value("type", "");
  std::string dir = type == "relationship" || type == "sighting" ? "sros" : "sdos";
  const SchemaNode* schema = Schemas().Find("schemas/" + dir + "/" + type + ".json");
  if (!schema) return SchemaViolation{"", "no schema"};
  return Schemas().Validate(schema, o);
}

std::string Describe(const std::optional<ObjectProblem>& p) {
  return p ? p->path + ": " + p->reason : "valid";
}

// The shape checks and the whole validator, compared on one object.
// Returns whether the fast path accepted it.
bool Compare(const Json& o) {
  const bool fast = FastSchemaAccepts(o);
  if (fast) {
    auto v = Interpreted(o);
    EXPECT_FALSE(v.has_value()) << "fast path accepted what the schema refuses: " << o.dump()
                                << " -> " << v->path << ": " << v->reason;
  }
  ValidationOptions with, without;
  without.fast_shapes = false;
  const auto& validator = StixValidator::Default();
  EXPECT_EQ(Describe(validator.Validate(o, with)), Describe(validator.Validate(o, without)))
      << o.dump();
  return fast;
}

Json Indicator() {
  return Json::parse(R"({
    "type": "indicator", "spec_version": "2.1",
    "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
    "created": "2016-04-06T20:03:48.000Z", "modified": "2016-04-06T20:03:48.123456Z",
    "name": "Poison Ivy Malware", "description": "d", "indicator_types": ["malicious-activity"],
    "pattern": "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
    "pattern_type": "stix", "pattern_version": "2.1",
    "valid_from": "2016-01-01T00:00:00Z", "valid_until": "2017-01-01T00:00:00.5Z",
    "labels": ["a"], "revoked": false, "confidence": 50, "lang": "en",
    "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
  })");
}

Json Identity() {
  return Json::parse(R"({
    "type": "identity", "spec_version": "2.1",
    "id": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
    "created": "2015-12-21T19:59:11.000Z", "modified": "2015-12-21T19:59:11.000Z",
    "name": "Cole Powers", "identity_class": "individual", "description": "x",
    "roles": ["r"], "sectors": ["technology"], "contact_information": "c"
  })");
}

Json Relationship() {
  return Json::parse(R"({
    "type": "relationship", "spec_version": "2.1",
    "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
    "created": "2016-04-06T20:06:37.000Z", "modified": "2016-04-06T20:06:37.000Z",
    "relationship_type": "indicates", "description": "x",
    "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
    "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
    "start_time": "2016-04-06T20:06:37Z", "stop_time": "2016-04-07T20:06:37Z"
  })");
}

// Values that probe every kind of check.
std::vector<Json> Probes(const std::string& type) {
  std::vector<Json> out = {
      nullptr,
      true,
      false,
      0,
      50,
      100,
      101,
      -1,
      50.0,
      1.5,
      "",
      "x",
      "2.1",
      "2.0",
      "2.2",
      Json::array(),
      Json::array({""}),
      Json::array({"x", "y"}),
      Json::array({1}),
      Json::array({nullptr}),
      Json::object(),
      Json{{"a", 1}},
      // timestamps
      "2024-01-01T00:00:00Z",
      "2024-01-01T00:00:00.1Z",
      "2024-01-01T00:00:00.123Z",
      "2024-01-01T00:00:00.123456789Z",
      "2024-13-01T00:00:00Z",
      "2024-00-10T00:00:00Z",
      "2024-02-30T00:00:00.000Z",
      "2024-01-32T00:00:00.000Z",
      "2024-01-01T24:00:00.000Z",
      "2024-01-01T23:60:00.000Z",
      "2024-01-01T00:00:60.000Z",
      "2024-01-01T00:00:61.000Z",
      "2024-01-01t00:00:00.000Z",
      "2024-01-01T00:00:00.000z",
      "2024-01-01T00:00:00.Z",
      "2024-01-01T00:00:00.000+00:00",
      "2024-01-01T00:00:00.000Z\n",
      " 2024-01-01T00:00:00Z",
      "24-01-01T00:00:00.000Z",
      "2024-1-01T00:00:00.000Z",
      // identifiers
      "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
      "identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
      "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
      "malware--31B940D4-6F7F-459A-80EA-9C1F17B5891B",
      "malware--31b940d4-6f7f-659a-80ea-9c1f17b5891b",
      "malware--31b940d4-6f7f-059a-80ea-9c1f17b5891b",
      "malware--31b940d4-6f7f-459a-c0ea-9c1f17b5891b",
      "malware--31b940d4-6f7f-459a-B0ea-9c1f17b5891b",
      "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891",
      "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891bb",
      "ab--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "a-b--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "x-y---31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "-xy--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "xy---31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "x_y--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "Malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "bundle--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "sighting--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
      "language-content--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "relationships--31b940d4-6f7f-459a-80ea-9c1f17b5891b",
      "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b\n",
      // relationship types
      "uses",
      "USES",
      "a b",
      "x-y",
      "-",
      "a_b",
      Json::array({"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"}),
      Json::array({"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "x"}),
      Json::array({"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}),
  };
  out.push_back(type);
  out.push_back(type + "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f");
  out.push_back(type + "--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3");
  return out;
}

TEST(FastShape, HandWrittenPatternsAgreeWithTheOfficialOnes) {
  EXPECT_TRUE(MatchesTimestampPattern("2016-01-01T00:00:00Z", false));
  EXPECT_FALSE(MatchesTimestampPattern("2016-01-01T00:00:00Z", true));
  EXPECT_TRUE(MatchesTimestampPattern("2016-01-01T00:00:00.000Z", true));
  EXPECT_TRUE(MatchesTimestampPattern("2016-12-31T23:59:60.5Z", false));
  EXPECT_FALSE(MatchesTimestampPattern("2016-12-31T23:59:60.5Z\n", false));
  EXPECT_TRUE(MatchesIdentifierPattern("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
  EXPECT_TRUE(MatchesIdentifierPattern("x-a--8E2E2D2B-17D4-4CBF-B38F-98EE46B3CD3F"));
  EXPECT_FALSE(MatchesIdentifierPattern("ab--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
  EXPECT_FALSE(MatchesIdentifierPattern("abc---8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"));
  EXPECT_FALSE(MatchesIdentifierPattern("indicator--8e2e2d2b-17d4-6cbf-938f-98ee46b3cd3f"));
}

TEST(FastShape, CommonShapesTakeTheFastPath) {
  EXPECT_TRUE(Compare(Indicator()));
  EXPECT_TRUE(Compare(Identity()));
  EXPECT_TRUE(Compare(Relationship()));
  // What it does not check by hand goes to the interpreted validator.
  Json o = Indicator();
  o["kill_chain_phases"] = Json::array({{{"kill_chain_name", "k"}, {"phase_name", "p"}}});
  EXPECT_FALSE(Compare(o));
  o = Indicator();
  o["x_custom"] = "v";
  EXPECT_FALSE(Compare(o));
  EXPECT_FALSE(Compare(Json::parse(R"({"type": "malware", "spec_version": "2.1",
    "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "created": "2016-04-06T20:07:09.000Z",
    "modified": "2016-04-06T20:07:09.000Z", "name": "x", "is_family": false})")));
}

// Every property of each shape replaced by every probe, removed, and the
// object given extra properties: same answer with and without the fast path.
TEST(FastShape, MutationsGiveTheSameAnswerWithAndWithoutTheFastPath) {
  size_t fast = 0, total = 0;
  for (const Json& base : {Indicator(), Identity(), Relationship()}) {
    const std::string type = base["type"].get<std::string>();
    const auto probes = Probes(type);
    std::vector<std::string> names;
    for (const auto& [name, unused] : base.items()) names.push_back(name);
    for (const char* extra : {"labels",
                              "confidence",
                              "revoked",
                              "lang",
                              "created_by_ref",
                              "object_marking_refs",
                              "external_references",
                              "granular_markings",
                              "extensions",
                              "kill_chain_phases",
                              "severity",
                              "x_custom",
                              "ab",
                              "id",
                              "name",
                              "pattern_version",
                              "valid_until",
                              "start_time",
                              "stop_time",
                              "roles",
                              "sectors",
                              "foo_bin",
                              "foo_hex",
                              "Upper",
                              "a-b"})
      names.push_back(extra);
    for (const auto& name : names) {
      Json removed = base;
      removed.erase(name);
      fast += Compare(removed);
      ++total;
      for (const auto& probe : probes) {
        Json o = base;
        o[name] = probe;
        fast += Compare(o);
        ++total;
      }
    }
  }
  // The mutations reach both paths.
  std::cout << fast << " of " << total << " mutations took the fast path\n";
  EXPECT_GT(fast, 300u);
  EXPECT_LT(fast, total / 2);
}

TEST(FastShape, OfficialExamplesGiveTheSameAnswer) {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  const fs::path dir = fs::path(src ? src : ".") / "data" / "stix" / "examples";
  size_t objects = 0, fast = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto bundle = jcs::ParseUntrusted(ss.str(), {.max_bytes = 1 << 24,
                                                 .max_depth = 64,
                                                 .max_string_bytes = 1 << 20,
                                                 .max_elements = 1 << 20});
    ASSERT_TRUE(bundle.has_value()) << e.path();
    const Json& list = bundle->contains("objects") ? (*bundle)["objects"] : *bundle;
    for (const auto& o : list.is_array() ? list : Json::array({list})) {
      ++objects;
      fast += Compare(o);
    }
  }
  EXPECT_GE(objects, 29u);
  EXPECT_GE(fast, 5u) << "of " << objects;
}

}  // namespace
}  // namespace entente::intel
