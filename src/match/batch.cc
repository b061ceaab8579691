#include "match/batch.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "jcs/jcs.h"
#include "match/normalize.h"
#include "match/scan.h"

namespace entente::match {
namespace {

std::unexpected<Error> TooMany(std::size_t limit, std::string_view count) {
  return Fail(
      ErrorCode::kResourceExhausted,
      fmt::format("a batch holds at most {} values; this one has {}: split it", limit, count),
      "body");
}

// Invalid bytes replaced by U+FFFD, for showing a value in JSON.
std::string Printable(std::string_view s) {
  if (jcs::IsValidUtf8(s)) return std::string(s);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    // Longest valid sequence starting at i (1..4 bytes).
    std::size_t len = 0;
    for (std::size_t l = 1; l <= 4 && i + l <= s.size(); ++l)
      if (jcs::IsValidUtf8(s.substr(i, l))) {
        len = l;
        break;
      }
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

bool AllOf(std::string_view s, bool (*f)(char)) { return std::all_of(s.begin(), s.end(), f); }

}  // namespace

Result<BatchRequest> ParseBatchJson(std::string_view body, std::size_t limit) {
  // Each value is at most an object with two members: 3 elements.
  jcs::Limits lim{.max_bytes = 64u << 20,
                  .max_depth = 3,
                  .max_string_bytes = kMaxBatchValueBytes * 4,
                  .max_elements = limit * 3 + 16};
  auto parsed = jcs::ParseUntrusted(body, lim);
  if (!parsed) {
    // The element limit (jcs: "... has more than N values") is hit only by
    // far more values than the batch limit.
    if (parsed.error().message.find("JSON document has more than") != std::string::npos)
      return TooMany(limit, "more");
    Error e = parsed.error();
    if (e.field.empty()) e.field = "body";
    return std::unexpected(e);
  }
  const jcs::Json& j = *parsed;
  if (!j.is_object()) return Invalid("must be an object with a values array", "body");
  BatchRequest req;
  for (const auto& [k, v] : j.items()) {
    if (k == "values") continue;
    if (k == "report_sightings") {
      if (!v.is_boolean()) return Invalid("must be true or false", "report_sightings");
      req.report_sightings = v.get<bool>();
      continue;
    }
    return Invalid("unknown member", k);
  }
  auto values = j.find("values");
  if (values == j.end()) return Invalid("is required", "values");
  if (!values->is_array()) return Invalid("must be an array", "values");
  if (values->size() > limit) return TooMany(limit, std::to_string(values->size()));
  std::size_t n = 0;
  for (const auto& v : *values) {
    std::string field = fmt::format("values/{}", n++);
    BatchItem item;
    if (v.is_string()) {
      item.value = v.get<std::string>();
    } else if (v.is_object()) {
      for (const auto& [k, x] : v.items())
        if (k != "value" && k != "kind") return Invalid("unknown member", field + "/" + k);
      auto value = v.find("value");
      if (value == v.end() || !value->is_string())
        return Invalid("must be a string", field + "/value");
      item.value = value->get<std::string>();
      if (auto kind = v.find("kind"); kind != v.end()) {
        auto k = kind->is_string() ? KindFromName(kind->get<std::string>()) : std::nullopt;
        if (!k || *k == Kind::kRegex)
          return Invalid("must be domain, ip, url, email, md5, sha1 or sha256", field + "/kind");
        item.kind = *k;
      }
    } else {
      return Invalid("must be a string or an object {value, kind}", field);
    }
    req.items.push_back(std::move(item));
  }
  return req;
}

Result<BatchRequest> ParseBatchText(std::string_view body, std::size_t limit) {
  BatchRequest req;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (req.items.size() == limit) return TooMany(limit, "more");
    req.items.push_back({std::string(line), std::nullopt});
  }
  return req;
}

Kind DetectValueKind(std::string& value) {
  std::string_view v = value;
  if (!v.empty() && v.find("://") == std::string_view::npos &&
      v.find('@') == std::string_view::npos) {
    bool v4 = v.find('.') != std::string_view::npos && v.front() >= '0' && v.front() <= '9' &&
              AllOf(v, [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '/'; });
    bool v6 = v.find(':') != std::string_view::npos && AllOf(v, [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                       c == ':' || c == '.' || c == '/' || c == '[' || c == ']';
              });
    if (v4 || v6) return Kind::kIp;
  }
  bool subdomains = false;
  return DetectKind(value, subdomains);
}

nlohmann::ordered_json AnswerBatch(const BatchRequest& request,
                                   const std::shared_ptr<const Index>& index, Millis now,
                                   HitCounts* counts) {
  using OJson = nlohmann::ordered_json;
  Matcher m(index, now);
  OJson results = OJson::array();
  std::size_t matched = 0, errors = 0, hits_total = 0;
  for (std::size_t i = 0; i < request.items.size(); ++i) {
    const BatchItem& item = request.items[i];
    OJson r;
    r["index"] = i;
    r["value"] = Printable(item.value);
    auto fail = [&](const std::string& message) {
      r["error"] = message;
      ++errors;
      results.push_back(std::move(r));
    };
    if (item.value.size() > kMaxBatchValueBytes) {
      fail(fmt::format("value longer than {} bytes", kMaxBatchValueBytes));
      continue;
    }
    if (!jcs::IsValidUtf8(item.value)) {
      fail("value is not valid UTF-8");
      continue;
    }
    std::string v = item.value;
    Kind kind = item.kind ? *item.kind : DetectValueKind(v);
    r["kind"] = std::string(KindName(kind));
    Result<std::string> normalized = Invalid("unknown kind");
    std::span<const Hit> hits;
    switch (kind) {
      case Kind::kDomain:
        normalized = NormalizeDomain(v);
        if (normalized) hits = m.MatchDomain(*normalized);
        break;
      case Kind::kIp: {
        auto p = ParseIp(v);
        if (!p) {
          normalized = std::unexpected(p.error());
        } else {
          normalized = p->ToString();
          hits = m.MatchIp(*p);
        }
        break;
      }
      case Kind::kUrl:
        normalized = NormalizeUrl(v);
        if (normalized) hits = m.MatchUrl(*normalized);
        break;
      case Kind::kEmail:
        normalized = NormalizeEmail(v);
        if (normalized) hits = m.MatchEmail(*normalized);
        break;
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256: {
        auto raw = ParseHexHash(v);
        std::size_t want = kind == Kind::kMd5 ? 16 : kind == Kind::kSha1 ? 20 : 32;
        if (raw && raw->size() != want)
          raw = Invalid(fmt::format("a {} hash has {} hex digits", KindName(kind), want * 2));
        if (!raw) {
          normalized = std::unexpected(raw.error());
        } else {
          std::string hex;
          for (unsigned char c : *raw) hex += fmt::format("{:02x}", c);
          normalized = hex;
          hits = m.MatchHash(*raw);
        }
        break;
      }
      case Kind::kRegex:
        break;
    }
    if (!normalized) {
      fail(normalized.error().message);
      continue;
    }
    r["normalized"] = *normalized;
    OJson list = OJson::array();
    std::set<std::string_view> seen;
    for (const Hit& h : hits) {
      std::string_view id = index->Id(h.meta);
      if (!seen.insert(id).second) continue;
      list.push_back(HitJson(*index, h));
      if (counts) ++(*counts)[std::string(id)];
    }
    if (!list.empty()) ++matched;
    hits_total += list.size();
    r["hits"] = std::move(list);
    results.push_back(std::move(r));
  }
  OJson out;
  out["results"] = std::move(results);
  out["summary"] = {{"values", request.items.size()},
                    {"matched", matched},
                    {"errors", errors},
                    {"hits", hits_total}};
  return out;
}

}  // namespace entente::match
