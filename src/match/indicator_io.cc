#include "match/indicator_io.h"

#include <fmt/format.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "intel/pattern.h"
#include "match/normalize.h"

namespace entente::match {
namespace {

using Json = nlohmann::json;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// TLP marking-definition ids of STIX 2.1 (TLP 1.0) and of the TLP 2.0
// extension.
std::optional<Tlp> TlpFromMarking(std::string_view id) {
  if (id == "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9") return Tlp::kClear;
  if (id == "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da") return Tlp::kGreen;
  if (id == "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82") return Tlp::kAmber;
  if (id == "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed") return Tlp::kRed;
  if (id == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487") return Tlp::kClear;
  if (id == "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb") return Tlp::kGreen;
  if (id == "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421") return Tlp::kAmber;
  if (id == "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003") return Tlp::kAmberStrict;
  if (id == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1") return Tlp::kRed;
  return std::nullopt;
}

Result<Millis> Time(const Json& v, std::string_view field) {
  if (v.is_null()) return Millis{0};
  if (!v.is_string()) return Invalid(fmt::format("{} is not a string", field));
  auto t = ParseRfc3339(v.get<std::string>());
  if (!t) return Invalid(fmt::format("{} is not an RFC 3339 time", field));
  return *t;
}

// Applies the common JSON fields (JSON lines and STIX extensions).
Status ApplyFields(const Json& o, Indicator& in) {
  auto str = [&](const char* k) -> Result<std::optional<std::string>> {
    auto it = o.find(k);
    if (it == o.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return Invalid(fmt::format("{} is not a string", k));
    return std::optional<std::string>(it->get<std::string>());
  };
  if (auto t = ENTENTE_TRY(str("tlp"))) {
    auto v = TlpFromName(*t);
    if (!v) return Invalid(fmt::format("unknown TLP '{}'", *t));
    in.tlp = *v;
  }
  if (auto p = ENTENTE_TRY(str("pap"))) {
    auto v = PapFromName(*p);
    if (!v) return Invalid(fmt::format("unknown PAP '{}'", *p));
    in.pap = *v;
  }
  if (auto c = ENTENTE_TRY(str("community"))) in.community = *c;
  if (auto a = ENTENTE_TRY(str("action"))) {
    auto v = ActionFromName(*a);
    if (!v) return Invalid(fmt::format("unknown action '{}'", *a));
    in.action = *v;
  }
  if (auto l = ENTENTE_TRY(str("local_data"))) in.local_data = *l;
  if (auto it = o.find("confidence"); it != o.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<long long>() < 0 || it->get<long long>() > 100)
      return Invalid("confidence must be an integer from 0 to 100");
    in.confidence = it->get<int>();
  }
  if (auto it = o.find("valid_from"); it != o.end())
    in.valid_from = ENTENTE_TRY(Time(*it, "valid_from"));
  if (auto it = o.find("valid_until"); it != o.end())
    in.valid_until = ENTENTE_TRY(Time(*it, "valid_until"));
  if (auto it = o.find("revoked"); it != o.end() && !it->is_null()) {
    if (!it->is_boolean()) return Invalid("revoked is not a boolean");
    in.revoked = it->get<bool>();
  }
  if (auto it = o.find("subdomains"); it != o.end() && !it->is_null()) {
    if (!it->is_boolean()) return Invalid("subdomains is not a boolean");
    in.subdomains = it->get<bool>();
  }
  if (in.action == Action::kLocalData && in.local_data.empty())
    return Invalid("action local needs local_data (e.g. \"A 192.0.2.1\")");
  return Ok();
}

Indicator Defaulted(const IndicatorDefaults& d) {
  Indicator in;
  in.tlp = d.tlp;
  in.pap = d.pap;
  in.community = d.community;
  in.confidence = d.confidence;
  in.action = d.action;
  return in;
}

std::string SourceId(std::string_view source, std::uint64_t line) {
  return fmt::format("{}:{}", source, line);
}

void Issue(LoadResult& r, std::uint64_t line, std::string msg) {
  ++r.skipped;
  if (r.issues.size() < 100) r.issues.push_back({line, std::move(msg)});
}

// Lines of a text, 1-based numbers.
template <class F>
void ForLines(std::string_view text, F f) {
  std::uint64_t n = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    f(++n, text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

std::vector<std::string> SplitCsv(std::string_view line, bool& ok) {
  std::vector<std::string> out;
  ok = true;
  std::size_t i = 0;
  while (true) {
    std::string f;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          ok = false;
          return out;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            f += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        f += line[i++];
      }
    } else {
      std::size_t e = line.find(',', i);
      if (e == std::string_view::npos) e = line.size();
      f = std::string(Trim(line.substr(i, e - i)));
      i = e;
    }
    out.push_back(std::move(f));
    if (i >= line.size()) break;
    if (line[i] != ',') {
      ok = false;
      return out;
    }
    ++i;
  }
  return out;
}

void LoadPlain(std::string_view text, const IndicatorDefaults& d, std::string_view source,
               LoadResult& r) {
  ForLines(text, [&](std::uint64_t n, std::string_view line) {
    line = Trim(line);
    if (line.empty() || line.front() == '#') return;
    Indicator in = Defaulted(d);
    in.id = SourceId(source, n);
    in.value = std::string(line);
    bool sub = false;
    in.kind = DetectKind(in.value, sub);
    in.subdomains = in.kind == Kind::kDomain && (sub || d.subdomains);
    r.indicators.push_back(std::move(in));
  });
}

Status FillFromMap(const Json& o, const IndicatorDefaults& d, std::string_view source,
                   std::uint64_t n, Indicator& in) {
  in = Defaulted(d);
  in.subdomains = d.subdomains;
  auto v = o.find("value");
  if (v == o.end() || !v->is_string() || v->get<std::string>().empty())
    return Invalid("missing value");
  in.value = v->get<std::string>();
  if (auto id = o.find("id"); id != o.end() && id->is_string() && !id->get<std::string>().empty())
    in.id = id->get<std::string>();
  else
    in.id = SourceId(source, n);
  bool sub = false;
  std::string detected = in.value;
  Kind k = DetectKind(detected, sub);
  if (auto kind = o.find("kind");
      kind != o.end() && kind->is_string() && !kind->get<std::string>().empty()) {
    auto kk = KindFromName(kind->get<std::string>());
    if (!kk) return Invalid(fmt::format("unknown kind '{}'", kind->get<std::string>()));
    k = *kk;
  } else {
    in.value = detected;
    if (sub) in.subdomains = true;
  }
  in.kind = k;
  if (auto t = o.find("target"); t != o.end() && t->is_string()) {
    auto tk = KindFromName(t->get<std::string>());
    if (!tk || *tk == Kind::kRegex)
      return Invalid(fmt::format("unknown regex target '{}'", t->get<std::string>()));
    in.target = *tk;
  }
  ENTENTE_CHECK(ApplyFields(o, in));
  if (in.kind != Kind::kDomain) in.subdomains = false;
  return Ok();
}

void LoadJsonLines(std::string_view text, const IndicatorDefaults& d, std::string_view source,
                   LoadResult& r) {
  ForLines(text, [&](std::uint64_t n, std::string_view line) {
    line = Trim(line);
    if (line.empty()) return;
    auto j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return Issue(r, n, "not a JSON object");
    Indicator in;
    if (auto s = FillFromMap(j, d, source, n, in); !s) return Issue(r, n, s.error().message);
    r.indicators.push_back(std::move(in));
  });
}

void LoadCsv(std::string_view text, const IndicatorDefaults& d, std::string_view source,
             LoadResult& r) {
  std::vector<std::string> header;
  ForLines(text, [&](std::uint64_t n, std::string_view line) {
    if (Trim(line).empty()) return;
    bool ok;
    auto fields = SplitCsv(line, ok);
    if (!ok) return Issue(r, n, "malformed CSV (unterminated or misplaced quote)");
    if (header.empty()) {
      header = fields;
      if (std::find(header.begin(), header.end(), "value") == header.end()) {
        header.clear();
        Issue(r, n, "CSV header has no value column");
      }
      return;
    }
    if (fields.size() != header.size())
      return Issue(r, n,
                   fmt::format("{} columns, the header has {}", fields.size(), header.size()));
    Json o = Json::object();
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (fields[i].empty()) continue;
      const std::string& h = header[i];
      if (h == "confidence") {
        char* end = nullptr;
        long v = std::strtol(fields[i].c_str(), &end, 10);
        if (*end != 0) return Issue(r, n, "confidence is not an integer");
        o[h] = v;
      } else if (h == "revoked" || h == "subdomains") {
        if (fields[i] != "true" && fields[i] != "false" && fields[i] != "1" && fields[i] != "0")
          return Issue(r, n, fmt::format("{} must be true or false", h));
        o[h] = fields[i] == "true" || fields[i] == "1";
      } else {
        o[h] = fields[i];
      }
    }
    Indicator in;
    if (auto s = FillFromMap(o, d, source, n, in); !s) return Issue(r, n, s.error().message);
    r.indicators.push_back(std::move(in));
  });
}

// The string member `key` of `o`; `absent` when there is none, and "" when
// it is there but not a string (json::value would throw on untrusted input).
std::string StringMember(const Json& o, const char* key, std::string absent = "") {
  auto it = o.find(key);
  if (it == o.end()) return absent;
  return it->is_string() ? it->get<std::string>() : std::string();
}

void LoadStix(const Json& bundle, const IndicatorDefaults& d, LoadResult& r) {
  const Json* objects = nullptr;
  if (bundle.is_object() && StringMember(bundle, "type") == "bundle") {
    auto it = bundle.find("objects");
    if (it != bundle.end() && it->is_array()) objects = &*it;
  }
  if (!objects) {
    Issue(r, 0, "not a STIX bundle (type bundle with an objects array)");
    return;
  }
  std::uint64_t n = 0;
  for (const Json& o : *objects) {
    ++n;
    if (!o.is_object() || StringMember(o, "type") != "indicator") continue;
    std::string id = StringMember(o, "id");
    auto records = IndicatorsOfStixObject(o, d);
    if (!records) {
      std::string msg = records.error().message;
      Issue(r, n, id.empty() ? msg : id + ": " + msg);
      continue;
    }
    for (auto& one : *records) r.indicators.push_back(std::move(one));
  }
}

}  // namespace

namespace {

// The engine's kind for a test's object path, or nullopt when the path is
// not one the engine looks up. `hash` receives the canonical algorithm name.
std::optional<Kind> KindOfPath(const intel::ObjectPath& path) {
  const auto& st = path.steps;
  auto key = [&](std::size_t i) -> std::string_view {
    return i < st.size() && st[i].kind == intel::PathStep::Kind::kKey ? std::string_view(st[i].key)
                                                                      : std::string_view();
  };
  const std::string& t = path.object_type;
  if (st.size() == 1 && key(0) == "value") {
    if (t == "domain-name") return Kind::kDomain;
    if (t == "ipv4-addr" || t == "ipv6-addr") return Kind::kIp;
    if (t == "url") return Kind::kUrl;
    if (t == "email-addr") return Kind::kEmail;
  }
  if (t == "email-message" && st.size() == 2 && (key(0) == "from_ref" || key(0) == "sender_ref") &&
      key(1) == "value")
    return Kind::kEmail;
  if ((t == "file" || t == "artifact") && st.size() == 2 && key(0) == "hashes") {
    std::string up;
    for (char c : key(1))
      if (c != '-' && c != '_')
        up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (up == "MD5") return Kind::kMd5;
    if (up == "SHA1") return Kind::kSha1;
    if (up == "SHA256") return Kind::kSha256;
  }
  return std::nullopt;
}

Status Unsupported(std::string_view why) {
  return Invalid(fmt::format(
      "unsupported STIX pattern for matching ({}); supported: comparisons with =, IN or MATCHES "
      "on domain, address, URL, email and MD5/SHA-1/SHA-256 hash values, joined by OR",
      why));
}

// Checks that `c` is a test or a disjunction of tests the engine can look
// up, appending the MATCHES regexes to `out`.
Status CheckComparison(const intel::Comparison& c, std::vector<PatternValue>& out) {
  using intel::Comparison;
  using intel::Operator;
  if (c.kind == Comparison::Kind::kAnd) return Unsupported("AND");
  if (c.kind == Comparison::Kind::kOr) {
    for (const auto& ch : c.children) ENTENTE_CHECK(CheckComparison(ch, out));
    return Ok();
  }
  if (c.negated) return Unsupported("NOT");
  auto kind = KindOfPath(c.path);
  std::string path =
      c.path.object_type + ":" + (c.path.steps.empty() ? std::string() : c.path.steps.front().key);
  if (!kind) return Unsupported(fmt::format("object path {}", path));
  if (c.op != Operator::kEqual && c.op != Operator::kIn && c.op != Operator::kMatches)
    return Unsupported(fmt::format("operator {}", intel::OperatorName(c.op)));
  for (const auto& v : c.values)
    if (v.kind != intel::Literal::Kind::kString) return Unsupported("a value that is not a string");
  if (c.op == Operator::kMatches) {
    if (*kind == Kind::kMd5 || *kind == Kind::kSha1 || *kind == Kind::kSha256)
      return Unsupported("MATCHES on hashes");
    for (const auto& v : c.values) out.push_back({Kind::kRegex, v.text, *kind});
    return Ok();
  }
  for (const auto& v : c.values) {
    bool colon = v.text.find(':') != std::string::npos;
    if (c.path.object_type == "ipv4-addr" && colon)
      return Invalid(fmt::format("ipv4-addr value '{}' is an IPv6 address", v.text));
    if (c.path.object_type == "ipv6-addr" && !colon)
      return Invalid(fmt::format("ipv6-addr value '{}' is not an IPv6 address", v.text));
  }
  return Ok();
}

Status CheckObservation(const intel::Observation& o, std::vector<PatternValue>& out) {
  using intel::Observation;
  if (!o.qualifiers.empty()) return Unsupported("qualifiers (WITHIN, REPEATS, START/STOP)");
  if (o.kind == Observation::Kind::kAnd) return Unsupported("AND between observations");
  if (o.kind == Observation::Kind::kFollowedBy) return Unsupported("FOLLOWEDBY");
  if (o.kind == Observation::Kind::kOr) {
    for (const auto& ch : o.children) ENTENTE_CHECK(CheckObservation(ch, out));
    return Ok();
  }
  return CheckComparison(o.comparison, out);
}

}  // namespace

Result<std::vector<PatternValue>> StixPatternValues(std::string_view text) {
  intel::Pattern p = ENTENTE_TRY(intel::ParsePattern(text));
  std::vector<PatternValue> regexes;
  ENTENTE_CHECK(CheckObservation(p, regexes));
  std::vector<PatternValue> out;
  for (const auto& o : intel::ExtractObservables(p)) {
    Kind k = o.type == "domain-name"                          ? Kind::kDomain
             : o.type == "ipv4-addr" || o.type == "ipv6-addr" ? Kind::kIp
             : o.type == "url"                                ? Kind::kUrl
             : o.type == "email-addr"                         ? Kind::kEmail
             : o.hash_algorithm == "MD5"                      ? Kind::kMd5
             : o.hash_algorithm == "SHA-1"                    ? Kind::kSha1
                                                              : Kind::kSha256;
    out.push_back({k, o.value, Kind::kDomain});
  }
  for (auto& r : regexes) {
    bool seen = false;
    for (const auto& x : out)
      seen = seen || (x.kind == r.kind && x.value == r.value && x.target == r.target);
    if (!seen) out.push_back(std::move(r));
  }
  if (out.empty()) return Invalid("the pattern names no value to match");
  return out;
}

Result<std::vector<Indicator>> IndicatorsOfStixObject(const nlohmann::json& o,
                                                      const IndicatorDefaults& d) {
  if (!o.is_object() || StringMember(o, "type") != "indicator")
    return Invalid("not a STIX indicator object");
  std::string id = StringMember(o, "id");
  if (id.empty()) return Invalid("indicator without id");
  auto pattern = o.find("pattern");
  if (pattern == o.end() || !pattern->is_string()) return Invalid("indicator without pattern");
  if (StringMember(o, "pattern_type", "stix") != "stix") return Invalid("pattern_type is not stix");
  auto values = ENTENTE_TRY(StixPatternValues(pattern->get<std::string>()));
  Indicator in = Defaulted(d);
  in.subdomains = false;  // STIX domain-name equality is exact
  in.id = id;
  if (auto m = o.find("object_marking_refs"); m != o.end() && m->is_array())
    for (const Json& ref : *m)
      if (ref.is_string())
        if (auto t = TlpFromMarking(ref.get<std::string>())) in.tlp = *t;
  Json fields = Json::object();
  for (const char* x : {"confidence", "valid_from", "valid_until", "revoked"})
    if (auto it = o.find(x); it != o.end()) fields[x] = *it;
  for (const char* x : {"pap", "community", "action", "local_data", "subdomains"})
    if (auto it = o.find(std::string("x_entente_") + x); it != o.end()) fields[x] = *it;
  ENTENTE_CHECK(ApplyFields(fields, in));
  // One record per value the pattern names (they are ORed), sharing the id.
  std::vector<Indicator> out;
  for (auto& v : values) {
    Indicator one = in;
    one.kind = v.kind;
    one.value = std::move(v.value);
    one.target = v.target;
    if (one.kind != Kind::kDomain) one.subdomains = false;
    out.push_back(std::move(one));
  }
  return out;
}

Result<LoadResult> LoadIndicators(std::string_view text, std::string_view format,
                                  const IndicatorDefaults& defaults, std::string_view source) {
  LoadResult r;
  std::string fmt_name(format);
  std::string_view head = Trim(text.substr(0, 4096));
  if (fmt_name == "auto") {
    if (head.starts_with("{") && head.find("\"bundle\"") != std::string_view::npos &&
        head.find("\"objects\"") != std::string_view::npos)
      fmt_name = "stix";
    else if (head.starts_with("{"))
      fmt_name = "jsonl";
    else {
      std::string_view first = head.substr(0, head.find('\n'));
      fmt_name = (first.starts_with("id,") || first.find(",value") != std::string_view::npos ||
                  first.starts_with("value,"))
                     ? "csv"
                     : "plain";
    }
  }
  r.format = fmt_name;
  if (fmt_name == "plain")
    LoadPlain(text, defaults, source, r);
  else if (fmt_name == "jsonl")
    LoadJsonLines(text, defaults, source, r);
  else if (fmt_name == "csv")
    LoadCsv(text, defaults, source, r);
  else if (fmt_name == "stix") {
    auto j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) return Invalid(fmt::format("{}: STIX bundle is not valid JSON", source));
    LoadStix(j, defaults, r);
  } else {
    return Invalid(
        fmt::format("unknown indicator format '{}' (auto, plain, csv, jsonl, stix)", format),
        "indicators-format");
  }
  return r;
}

Result<LoadResult> LoadIndicatorFile(const std::string& path, std::string_view format,
                                     const IndicatorDefaults& defaults) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadIndicators(ss.str(), format, defaults, path);
}

}  // namespace entente::match
