#include "intel/stix.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "intel/fast_shape.h"
#include "intel/pattern.h"
#include "jcs/jcs.h"

namespace entente::intel {

namespace internal {
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedSchemas();
}

namespace {

constexpr std::array<std::string_view, 19> kDomainObjects = {
    "attack-pattern", "campaign",      "course-of-action", "grouping",
    "identity",       "incident",      "indicator",        "infrastructure",
    "intrusion-set",  "location",      "malware",          "malware-analysis",
    "note",           "observed-data", "opinion",          "report",
    "threat-actor",   "tool",          "vulnerability"};
constexpr std::array<std::string_view, 2> kRelationshipObjects = {"relationship", "sighting"};
constexpr std::array<std::string_view, 18> kObservables = {"artifact",
                                                           "autonomous-system",
                                                           "directory",
                                                           "domain-name",
                                                           "email-addr",
                                                           "email-message",
                                                           "file",
                                                           "ipv4-addr",
                                                           "ipv6-addr",
                                                           "mac-addr",
                                                           "mutex",
                                                           "network-traffic",
                                                           "process",
                                                           "software",
                                                           "url",
                                                           "user-account",
                                                           "windows-registry-key",
                                                           "x509-certificate"};
constexpr std::array<std::string_view, 3> kMetaObjects = {"marking-definition", "language-content",
                                                          "extension-definition"};

template <size_t N>
bool In(const std::array<std::string_view, N>& a, std::string_view s) {
  return std::find(a.begin(), a.end(), s) != a.end();
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

// Properties that hold timestamps, and ordered pairs of them: (earlier,
// later, whether equality is allowed).
constexpr std::string_view kTimestampProps[] = {
    "created",        "modified",      "valid_from", "valid_until", "first_seen", "last_seen",
    "first_observed", "last_observed", "published",  "start_time",  "stop_time"};
struct Order {
  std::string_view earlier, later;
  bool equal_ok;
};
constexpr Order kOrders[] = {{"created", "modified", true},
                             {"valid_from", "valid_until", false},
                             {"first_seen", "last_seen", true},
                             {"first_observed", "last_observed", true},
                             {"start_time", "stop_time", false}};

bool IsCustomPropertyName(std::string_view name) {
  if (name.size() < 3 || name.size() > 250) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string Pointer(std::string_view token) {
  std::string out = "/";
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

// *_ref and *_refs anywhere in the object hold identifiers.
std::optional<ObjectProblem> CheckRefs(const Json& v, std::string& path, int depth) {
  if (depth > 64) return std::nullopt;  // the parser limits depth well before this
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      const bool ref = key.size() > 4 && key.ends_with("_ref");
      const bool refs = key.size() > 5 && key.ends_with("_refs");
      if (!ref && !refs && !value.is_object() && !value.is_array()) continue;  // nothing to check
      const size_t len = path.size();
      path += Pointer(key);
      if (ref && !(value.is_string() && IsStixIdentifier(value.get_ref<const std::string&>()))) {
        return ObjectProblem{path, "a *_ref property must hold a STIX identifier (type--UUID)"};
      }
      if (refs) {
        if (!value.is_array())
          return ObjectProblem{path, "a *_refs property must be a list of STIX identifiers"};
        for (size_t i = 0; i < value.size(); ++i) {
          if (!(value[i].is_string() && IsStixIdentifier(value[i].get_ref<const std::string&>())))
            return ObjectProblem{path + "/" + std::to_string(i),
                                 "a *_refs property must be a list of STIX identifiers"};
        }
      }
      if (!ref && !refs) {
        if (auto p = CheckRefs(value, path, depth + 1)) return p;
      }
      path.resize(len);
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t len = path.size();
      path += "/" + std::to_string(i);
      if (auto p = CheckRefs(v[i], path, depth + 1)) return p;
      path.resize(len);
    }
  }
  return std::nullopt;
}

std::string_view SchemaPathFor(std::string_view type, std::string& buffer) {
  if (In(kDomainObjects, type))
    buffer = fmt::format("schemas/sdos/{}.json", type);
  else if (In(kRelationshipObjects, type))
    buffer = fmt::format("schemas/sros/{}.json", type);
  else if (In(kObservables, type))
    buffer = fmt::format("schemas/observables/{}.json", type);
  else if (In(kMetaObjects, type))
    buffer = fmt::format("schemas/common/{}.json", type);
  else
    buffer.clear();
  return buffer;
}

}  // namespace

bool IsDomainObjectType(std::string_view type) { return In(kDomainObjects, type); }
bool IsRelationshipObjectType(std::string_view type) { return In(kRelationshipObjects, type); }
bool IsCyberObservableType(std::string_view type) { return In(kObservables, type); }
bool IsMetaObjectType(std::string_view type) { return In(kMetaObjects, type); }

bool IsStixIdentifier(std::string_view id) {
  size_t sep = id.find("--");
  if (sep == std::string_view::npos || sep == 0) return false;
  std::string_view type = id.substr(0, sep);
  for (char c : type)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  if (type.front() == '-' || type.back() == '-') return false;
  return IsStixUuidText(id.substr(sep + 2));
}

std::string VersionKey(std::string_view t) {
  auto digits = [&](size_t from, size_t n) {
    if (from + n > t.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (t[i] < '0' || t[i] > '9') return false;
    return true;
  };
  if (!(digits(0, 4) && t.size() > 19 && t[4] == '-' && digits(5, 2) && t[7] == '-' &&
        digits(8, 2) && t[10] == 'T' && digits(11, 2) && t[13] == ':' && digits(14, 2) &&
        t[16] == ':' && digits(17, 2)))
    return "";
  auto num = [&](size_t from, size_t n) {
    int v = 0;
    for (size_t i = from; i < from + n; ++i) v = v * 10 + (t[i] - '0');
    return v;
  };
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || num(11, 2) > 23 ||
      num(14, 2) > 59 || num(17, 2) > 60)
    return "";
  size_t i = 19;
  std::string_view frac;
  if (t[i] == '.') {
    const size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    frac = t.substr(start, i - start);
    if (frac.empty()) return "";
  }
  if (i + 1 != t.size() || t[i] != 'Z') return "";
  std::string out;
  out.reserve(30);
  out.append(t.substr(0, 19));
  out.push_back('.');
  out.append(frac.substr(0, 9));
  out.append(9 - std::min<size_t>(frac.size(), 9), '0');
  out.push_back('Z');
  return out;
}

const StixValidator& StixValidator::Default() {
  static const StixValidator* const kDefault = [] {
    std::vector<std::pair<std::string, std::string>> docs;
    for (const auto& [path, text] : internal::EmbeddedSchemas())
      docs.emplace_back(std::string(path), std::string(text));
    auto v = Create(docs);
    if (!v) {
      fmt::print(stderr, "embedded STIX schemas do not compile: {}\n", v.error().message);
      std::abort();
    }
    return v->release();
  }();
  return *kDefault;
}

Result<std::unique_ptr<StixValidator>> StixValidator::Create(
    const std::vector<std::pair<std::string, std::string>>& documents) {
  auto set = ENTENTE_TRY(SchemaSet::Compile(documents));
  if (!set->Find("schemas/common/core.json") ||
      !set->Find("schemas/common/cyber-observable-core.json"))
    return Invalid("the STIX schemas lack common/core.json or common/cyber-observable-core.json");
  return std::unique_ptr<StixValidator>(new StixValidator(std::move(set)));
}

std::optional<ObjectProblem> StixValidator::Validate(const Json& object,
                                                     const ValidationOptions& options) const {
  return Validate(object, options, nullptr);
}

std::optional<ObjectProblem> StixValidator::Validate(const Json& object,
                                                     const ValidationOptions& options,
                                                     std::optional<Pattern>* pattern_out) const {
  if (!object.is_object()) return ObjectProblem{"", "a STIX object must be a JSON object"};
  auto type_it = object.find("type");
  if (type_it == object.end()) return ObjectProblem{"/type", "required property is missing"};
  if (!type_it->is_string()) return ObjectProblem{"/type", "must be a string"};
  const std::string& type = type_it->get_ref<const std::string&>();
  if (type == "bundle") return ObjectProblem{"/type", "a bundle cannot be nested in a bundle"};
  std::string buffer;
  std::string_view schema_path = SchemaPathFor(type, buffer);
  const bool custom = schema_path.empty();
  if (custom && !(options.allow_custom_types && type.starts_with("x-")))
    return ObjectProblem{"/type", fmt::format("unknown object type '{}'", type)};

  // Identifier.
  auto id_it = object.find("id");
  if (id_it == object.end()) return ObjectProblem{"/id", "required property is missing"};
  if (!id_it->is_string()) return ObjectProblem{"/id", "must be a string"};
  const std::string& id = id_it->get_ref<const std::string&>();
  if (!IsStixIdentifier(id))
    return ObjectProblem{"/id", fmt::format("'{}' is not a STIX identifier (type--UUID, RFC 4122 "
                                            "version 1-5)",
                                            id.substr(0, 120))};
  if (id.substr(0, id.find("--")) != type)
    return ObjectProblem{"/id", fmt::format("identifier prefix '{}' differs from the type '{}'",
                                            id.substr(0, id.find("--")), type)};

  // Schema: the hand-written checks of the common shapes when they
  // certainly accept the object (fast_shape.h), else the interpreted schema,
  // which gives every error.
  const SchemaNode* schema = nullptr;
  const bool fast =
      options.fast_shapes && !custom && !options.interop_profile && FastSchemaAccepts(object);
  if (fast) {
    // The official schema accepts the object.
  } else if (custom) {
    schema =
        schemas_->Find(object.contains("created") ? "schemas/common/core.json"
                                                  : "schemas/common/cyber-observable-core.json");
  } else {
    if (options.interop_profile) {
      schema = schemas_->Find(fmt::format("interop/{}.json", type));
    }
    if (!schema) schema = schemas_->Find(schema_path);
  }
  if (!fast) {
    if (!schema) return ObjectProblem{"/type", fmt::format("no schema for type '{}'", type)};
    if (auto v = schemas_->Validate(schema, object)) return ObjectProblem{v->path, v->reason};
  }

  // Spec version.
  const bool observable = IsCyberObservableType(type) || (custom && !object.contains("created"));
  if (auto sv = object.find("spec_version"); sv != object.end()) {
    if (*sv != "2.1")
      return ObjectProblem{"/spec_version", fmt::format("must be \"2.1\", found {}", sv->dump())};
  } else if (!observable) {
    return ObjectProblem{"/spec_version", "required property is missing"};
  }

  // Timestamps: real dates, in order.
  for (auto name : kTimestampProps) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_string()) continue;
    if (VersionKey(it->get_ref<const std::string&>()).empty())
      return ObjectProblem{Pointer(name), fmt::format("'{}' is not a valid RFC 3339 UTC timestamp",
                                                      it->get_ref<const std::string&>())};
  }
  for (const auto& o : kOrders) {
    auto a = object.find(o.earlier), b = object.find(o.later);
    if (a == object.end() || b == object.end() || !a->is_string() || !b->is_string()) continue;
    std::string ka = VersionKey(a->get_ref<const std::string&>());
    std::string kb = VersionKey(b->get_ref<const std::string&>());
    if (kb < ka || (!o.equal_ok && kb == ka))
      return ObjectProblem{
          Pointer(o.later),
          fmt::format("must be {} {} ({} < {})", o.equal_ok ? "at or after" : "after", o.earlier,
                      b->get_ref<const std::string&>(), a->get_ref<const std::string&>())};
  }

  // Pattern.
  if (type == "indicator") {
    auto pt = object.find("pattern_type");
    auto p = object.find("pattern");
    if (pt != object.end() && *pt == "stix" && p != object.end() && p->is_string()) {
      auto parsed = ParsePattern(p->get_ref<const std::string&>());
      if (!parsed)
        return ObjectProblem{"/pattern", "invalid STIX pattern: " + parsed.error().message};
      if (pattern_out) *pattern_out = std::move(*parsed);
    }
  }

  // Property names.
  for (const auto& [key, value] : object.items()) {
    if (key != "id" && !IsCustomPropertyName(key))
      return ObjectProblem{Pointer(key),
                           "property names must be 3 to 250 characters of a-z, 0-9 "
                           "and _"};
  }

  // References.
  std::string path;
  if (auto p = CheckRefs(object, path, 0)) return p;
  return std::nullopt;
}

// ---- bundle reading ---------------------------------------------------------

namespace {

class Scanner {
 public:
  Scanner(std::string_view s, const BundleLimits& limits) : s_(s), limits_(limits) {}

  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  size_t pos() const { return pos_; }
  void Skip(size_t n) { pos_ += n; }

  std::unexpected<Error> Malformed(std::string_view what) const {
    return Invalid(fmt::format("malformed bundle at byte {}: {}", pos_, what));
  }

  Status Expect(char c) {
    SkipSpace();
    if (Peek() != c) return Malformed(fmt::format("expected '{}'", c));
    ++pos_;
    return Ok();
  }

  // The text of the JSON value starting here (not validated beyond its
  // extent; the caller parses it).
  Result<std::string_view> Value() {
    SkipSpace();
    const size_t start = pos_;
    if (AtEnd()) return Malformed("expected a value");
    char c = s_[pos_];
    if (c == '"') {
      ENTENTE_CHECK(SkipString());
    } else if (c == '{' || c == '[') {
      size_t depth = 0;
      while (pos_ < s_.size()) {
        char d = s_[pos_];
        if (d == '"') {
          ENTENTE_CHECK(SkipString());
          continue;
        }
        if (d == '{' || d == '[') {
          if (++depth > limits_.max_depth + 2)
            return Fail(ErrorCode::kResourceExhausted,
                        fmt::format("bundle nested deeper than {} levels at byte {}",
                                    limits_.max_depth, pos_));
        } else if (d == '}' || d == ']') {
          if (depth == 0) return Malformed("unbalanced brackets");
          --depth;
          if (depth == 0) {
            ++pos_;
            break;
          }
        }
        ++pos_;
      }
      if (depth != 0) return Malformed("unexpected end of input");
    } else {
      while (pos_ < s_.size() &&
             std::string_view(",}] \t\r\n").find(s_[pos_]) == std::string_view::npos)
        ++pos_;
      if (pos_ == start) return Malformed("expected a value");
    }
    return s_.substr(start, pos_ - start);
  }

 private:
  Status SkipString() {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\\') {
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == '"') return Ok();
    }
    return Malformed("unterminated string");
  }

  std::string_view s_;
  const BundleLimits& limits_;
  size_t pos_ = 0;
};

jcs::Limits ObjectLimits(const BundleLimits& limits) {
  jcs::Limits l;
  l.max_bytes = limits.max_object_bytes;
  l.max_depth = limits.max_depth;
  l.max_string_bytes = limits.max_object_bytes;
  l.max_elements = limits.max_object_bytes;  // at most one value per byte anyway
  return l;
}

}  // namespace

Result<Json> ParseObject(std::string_view text, const BundleLimits& limits) {
  return jcs::ParseUntrusted(text, ObjectLimits(limits));
}

Result<BundleEnvelope> ReadBundle(
    std::string_view text, const BundleLimits& limits,
    const std::function<Status(size_t, std::string_view)>& on_object) {
  if (text.size() > limits.max_bytes)
    return Fail(ErrorCode::kResourceExhausted,
                fmt::format("bundle of {} bytes exceeds the limit of {} bytes", text.size(),
                            limits.max_bytes));
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  Scanner sc(text, limits);
  BundleEnvelope env;
  ENTENTE_CHECK(sc.Expect('{'));
  Json members = Json::object();
  bool saw_objects = false;
  bool first = true;
  for (;;) {
    sc.SkipSpace();
    if (sc.Peek() == '}') {
      sc.Skip(1);
      break;
    }
    if (!first) {
      ENTENTE_CHECK(sc.Expect(','));
      sc.SkipSpace();
    }
    first = false;
    if (sc.Peek() != '"') return sc.Malformed("expected a member name");
    const size_t key_offset = sc.pos();
    std::string_view key_text = ENTENTE_TRY(sc.Value());
    auto key_json = jcs::ParseUntrusted(key_text);
    if (!key_json || !key_json->is_string())
      return Invalid(fmt::format("malformed bundle at byte {}: bad member name", key_offset));
    std::string key = key_json->get<std::string>();
    if (members.contains(key) || (key == "objects" && saw_objects))
      return Invalid(fmt::format("bundle member '{}' appears twice", key), "/" + key);
    ENTENTE_CHECK(sc.Expect(':'));
    if (key == "objects") {
      saw_objects = true;
      ENTENTE_CHECK(sc.Expect('['));
      sc.SkipSpace();
      size_t index = 0;
      if (sc.Peek() == ']') {
        sc.Skip(1);
      } else {
        for (;;) {
          std::string_view element = ENTENTE_TRY(sc.Value());
          if (index >= limits.max_objects)
            return Fail(ErrorCode::kResourceExhausted,
                        fmt::format("bundle holds more than {} objects", limits.max_objects),
                        "/objects");
          ENTENTE_CHECK(on_object(index, element));
          ++index;
          sc.SkipSpace();
          if (sc.Peek() == ',') {
            sc.Skip(1);
            continue;
          }
          ENTENTE_CHECK(sc.Expect(']'));
          break;
        }
      }
      env.object_count = index;
      continue;
    }
    std::string_view value = ENTENTE_TRY(sc.Value());
    auto parsed = ParseObject(value, limits);
    if (!parsed) {
      Error e = parsed.error();
      e.field = "/" + key + e.field;
      return std::unexpected(std::move(e));
    }
    members[key] = std::move(*parsed);
  }
  sc.SkipSpace();
  if (!sc.AtEnd()) return sc.Malformed("unexpected text after the bundle");

  auto type = members.find("type");
  if (type == members.end()) return Invalid("required property is missing", "/type");
  if (*type != "bundle") {
    // A single STIX object: read it as a bundle of one.
    if (saw_objects) return Invalid("must be \"bundle\" when \"objects\" is present", "/type");
    ENTENTE_CHECK(on_object(0, text));
    env.object_count = 1;
    return env;
  }
  auto id = members.find("id");
  if (id == members.end()) return Invalid("required property is missing", "/id");
  if (!id->is_string() || !IsStixIdentifier(id->get<std::string>()) ||
      !id->get<std::string>().starts_with("bundle--"))
    return Invalid("must be a bundle identifier (bundle--UUID)", "/id");
  env.id = id->get<std::string>();
  for (const auto& [key, value] : members.items()) {
    if (key == "type" || key == "id") continue;
    if (key == "spec_version")
      return Invalid("a STIX 2.1 bundle has no spec_version (that is STIX 2.0)", "/spec_version");
    if (!IsCustomPropertyName(key))
      return Invalid("property names must be 3 to 250 characters of a-z, 0-9 and _", Pointer(key));
  }
  return env;
}

}  // namespace entente::intel
