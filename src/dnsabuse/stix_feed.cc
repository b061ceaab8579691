#include "dnsabuse/stix_feed.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

#include "intel/access.h"
#include "intel/pattern.h"
#include "intel/repository.h"
#include "jcs/jcs.h"

namespace entente::dnsabuse {

using Json = nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void Issue(StixFeedResult& r, std::uint64_t index, std::string message) {
  if (r.issues.size() < 1000) r.issues.push_back({index, std::move(message)});
}

// Days since 1970-01-01 of an RFC 3339 timestamp's date; nullopt if bad.
std::optional<std::int32_t> DayOf(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  const std::string s = j[key].get<std::string>();
  if (s.size() < 10) return std::nullopt;
  return ParseDay(std::string_view(s).substr(0, 10));
}

}  // namespace

Json StixFeedResult::Summary() const {
  Json by = Json::object();
  for (int c = 0; c < kCategoryCount; ++c)
    by[std::string(CategoryName(static_cast<Category>(c)))] = lines[c].size();
  Json is = Json::array();
  for (const auto& i : issues) is.push_back({{"object", i.line}, {"message", i.message}});
  return {{"objects", objects},
          {"indicators", indicators},
          {"used", used},
          {"revoked", revoked},
          {"not_valid", not_valid},
          {"uncategorised", uncategorised},
          {"benign", benign},
          {"other_pattern_type", other_pattern_type},
          {"bad_pattern", bad_pattern},
          {"other_observables", other_observables},
          {"lines", by},
          {"issues", is}};
}

std::vector<Category> StixCategories(const Json& indicator) {
  std::set<Category> out;
  for (const char* member : {"indicator_types", "labels"}) {
    if (!indicator.contains(member) || !indicator[member].is_array()) continue;
    for (const auto& v : indicator[member]) {
      if (!v.is_string()) continue;
      const std::string s = Lower(v.get<std::string>());
      if (s == "phishing") out.insert(Category::kPhishing);
      if (s == "malware" || s == "malware-distribution" || s == "malicious-code" ||
          s == "ransomware" || s == "exploit-kit")
        out.insert(Category::kMalware);
      if (s == "c2" || s == "c&c" || s == "cc" || s == "botnet" || s == "botnet_cc" ||
          s == "botnet-cc" || s == "command-and-control" || s == "c2-server")
        out.insert(Category::kBotnetCc);
      if (s == "spam") out.insert(Category::kSpam);
    }
  }
  return {out.begin(), out.end()};
}

StixFeedResult IndicatorsToFeeds(const std::vector<Json>& objects, std::int32_t day) {
  StixFeedResult r;
  for (size_t i = 0; i < objects.size(); ++i) {
    const Json& o = objects[i];
    const std::uint64_t index = i + 1;
    ++r.objects;
    if (!o.is_object() || !o.contains("type") || o["type"] != "indicator") continue;
    ++r.indicators;
    if (o.contains("revoked") && o["revoked"] == true) {
      ++r.revoked;
      continue;
    }
    const auto from = DayOf(o, "valid_from");
    const auto until = DayOf(o, "valid_until");
    if ((from && *from > day) || (until && *until < day)) {
      ++r.not_valid;
      continue;
    }
    if (o.contains("pattern_type") && o["pattern_type"] != "stix") {
      ++r.other_pattern_type;
      continue;
    }
    bool benign = false;
    for (const char* member : {"indicator_types", "labels"})
      if (o.contains(member) && o[member].is_array())
        for (const auto& v : o[member])
          if (v.is_string() && Lower(v.get<std::string>()) == "benign") benign = true;
    if (benign) {
      ++r.benign;
      continue;
    }
    const auto cats = StixCategories(o);
    if (cats.empty()) {
      ++r.uncategorised;
      continue;
    }
    if (!o.contains("pattern") || !o["pattern"].is_string()) {
      ++r.bad_pattern;
      Issue(r, index, "indicator without a pattern");
      continue;
    }
    auto p = intel::ParsePattern(o["pattern"].get<std::string>());
    if (!p) {
      ++r.bad_pattern;
      Issue(r, index, "pattern: " + p.error().message);
      continue;
    }
    bool any = false;
    for (const auto& ob : intel::ExtractObservables(*p)) {
      if (ob.type != "domain-name" && ob.type != "url") {
        ++r.other_observables;
        continue;
      }
      // A line of a `urls` feed: one line per value, so a value with a line
      // break would become two entries.
      if (ob.value.empty() || ob.value.find_first_of("\r\n") != std::string::npos) {
        Issue(r, index, "observable value is empty or spans lines");
        continue;
      }
      for (Category c : cats) r.lines[static_cast<size_t>(c)].push_back(ob.value);
      any = true;
    }
    if (any) ++r.used;
  }
  return r;
}

Result<StixFeedResult> StixBundleToFeeds(std::string_view text, std::int32_t day) {
  auto j = jcs::ParseUntrusted(text, {.max_bytes = 1u << 30,
                                      .max_depth = 64,
                                      .max_string_bytes = 1u << 20,
                                      .max_elements = 50'000'000});
  if (!j) return std::unexpected(j.error());
  if (!j->is_object() || !j->contains("type") || (*j)["type"] != "bundle")
    return Invalid("is not a STIX bundle (an object of type \"bundle\")", "stix");
  if (!j->contains("objects")) return StixFeedResult{};
  if (!(*j)["objects"].is_array()) return Invalid("objects must be an array", "stix");
  std::vector<Json> objects((*j)["objects"].begin(), (*j)["objects"].end());
  return IndicatorsToFeeds(objects, day);
}

Result<StixFeedResult> StixStoreToFeeds(store::Database& db, const Clock& clock,
                                        const std::string& org_id, std::int32_t day) {
  if (org_id.empty()) return Invalid("the reading organisation is required", "org");
  const intel::Reader reader = ENTENTE_TRY(intel::LoadReader(db, org_id));
  intel::IntelRepository repo(db, clock);
  std::vector<Json> objects;
  intel::ObjectFilter f;
  f.reader = &reader;
  f.types = {"indicator"};
  f.include_revoked = false;
  f.limit = 10'000;
  for (;;) {
    auto page = ENTENTE_TRY(repo.List(f));
    for (const auto& o : page) {
      auto j = Json::parse(o.content, nullptr, false);
      objects.push_back(j.is_discarded() ? Json() : std::move(j));
      f.after_seq = o.seq;
    }
    if (page.size() < f.limit) break;
  }
  return IndicatorsToFeeds(objects, day);
}

Result<std::vector<FeedSpec>> WriteStixFeeds(const StixFeedResult& stix, const std::string& dir,
                                             const std::string& source) {
  std::vector<FeedSpec> out;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Invalid(fmt::format("cannot create {}: {}", dir, ec.message()), "stix");
  for (int c = 0; c < kCategoryCount; ++c) {
    if (stix.lines[c].empty()) continue;
    const auto cat = static_cast<Category>(c);
    const std::string path =
        (std::filesystem::path(dir) / fmt::format("{}-{}.txt", source, CategoryName(cat))).string();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    // The header makes each category's file distinct (the observatory
    // refuses two feeds with identical content).
    f << "# STIX indicators (" << source << "), category " << CategoryName(cat) << '\n';
    for (const auto& l : stix.lines[c]) f << l << '\n';
    if (!f.flush()) return Invalid("cannot write " + path, "stix");
    out.push_back(FeedSpec{cat, source, FeedFormat::kUrls, 0, path});
  }
  return out;
}

}  // namespace entente::dnsabuse
