#include "intel/json_schema.h"

#include <fmt/format.h>
#include <hs/hs.h>

#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <unordered_map>

namespace entente::intel {

using Json = nlohmann::json;

namespace {

// An ECMA-262 pattern (search semantics, like JSON Schema's `pattern`).
class Regex {
 public:
  Regex() = default;
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;
  ~Regex() {
    if (db_) hs_free_database(db_);
  }

  Status Compile(const std::string& source) {
    source_ = source;
    // Fast path: "^literal" is a prefix test.
    if (source.size() > 1 && source[0] == '^') {
      bool plain = true;
      for (size_t i = 1; i < source.size(); ++i) {
        char c = source[i];
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) plain = false;
      }
      if (plain) {
        prefix_ = source.substr(1);
        is_prefix_ = true;
        return Ok();
      }
    }
    hs_compile_error_t* err = nullptr;
    if (hs_compile(source.c_str(), HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY, HS_MODE_BLOCK, nullptr,
                   &db_, &err) != HS_SUCCESS) {
      hs_free_compile_error(err);
      db_ = nullptr;
    }
    try {
      // Always compiled: used for line breaks, empty strings and when
      // Vectorscan refused the pattern.
      std::string ecma = source;
      fallback_.emplace(ecma, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      if (!db_) return Invalid(fmt::format("pattern '{}' does not compile: {}", source, e.what()));
    }
    return Ok();
  }

  const std::string& source() const { return source_; }
  hs_database_t* db() const { return db_; }

  // nullopt when the string cannot be checked (too long for the fallback).
  std::optional<bool> Search(std::string_view s, hs_scratch_t* scratch) const {
    if (is_prefix_) return s.starts_with(prefix_);
    bool has_break = false;
    for (char c : s) has_break |= (c == '\r' || c == '\n');
    if (db_ && !has_break && !s.empty() && scratch) {
      bool matched = false;
      auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned,
                         void* ctx) -> int {
        *static_cast<bool*>(ctx) = true;
        return 1;  // stop
      };
      hs_error_t rc =
          hs_scan(db_, s.data(), static_cast<unsigned>(s.size()), 0, scratch, on_match, &matched);
      if (rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED) return matched;
    }
    if (!fallback_) return false;
    if (s.size() > 4096) return std::nullopt;
    return std::regex_search(s.begin(), s.end(), *fallback_);
  }

 private:
  std::string source_;
  bool is_prefix_ = false;
  std::string prefix_;
  hs_database_t* db_ = nullptr;
  std::optional<std::regex> fallback_;
};

enum TypeBit : unsigned {
  kNull = 1,
  kBoolean = 2,
  kObject = 4,
  kArray = 8,
  kNumber = 16,
  kString = 32,
  kInteger = 64,
};

std::string_view TypeName(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "integer";
    case Json::value_t::number_float:
      return "number";
    default:
      return "binary";
  }
}

bool HasType(unsigned mask, const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return mask & kNull;
    case Json::value_t::boolean:
      return mask & kBoolean;
    case Json::value_t::object:
      return mask & kObject;
    case Json::value_t::array:
      return mask & kArray;
    case Json::value_t::string:
      return mask & kString;
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return mask & (kInteger | kNumber);
    case Json::value_t::number_float: {
      if (mask & kNumber) return true;
      double d = j.get<double>();
      return (mask & kInteger) && std::isfinite(d) && std::floor(d) == d;
    }
    default:
      return false;
  }
}

std::string MaskNames(unsigned mask) {
  static constexpr std::pair<unsigned, const char*> kNames[] = {
      {kNull, "null"},     {kBoolean, "boolean"}, {kObject, "object"},  {kArray, "array"},
      {kNumber, "number"}, {kString, "string"},   {kInteger, "integer"}};
  std::string out;
  for (auto [bit, name] : kNames) {
    if (mask & bit) {
      if (!out.empty()) out += " or ";
      out += name;
    }
  }
  return out;
}

size_t Utf8Length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool HasSpaceOrControl(std::string_view s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return true;
  return false;
}

std::optional<std::string> FormatProblem(std::string_view format, std::string_view s) {
  if (format == "uri") {
    size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 ||
        !std::isalpha(static_cast<unsigned char>(s[0])))
      return "is not a URI (no scheme)";
    for (size_t i = 0; i < colon; ++i) {
      char c = s[i];
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
        return "is not a URI (invalid scheme)";
    }
    if (HasSpaceOrControl(s)) return "is not a URI (holds spaces or control characters)";
    return std::nullopt;
  }
  if (format == "email") {
    size_t at = s.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == s.size())
      return "is not an e-mail address (local@domain)";
    if (HasSpaceOrControl(s)) return "is not an e-mail address (holds spaces)";
    return std::nullopt;
  }
  if (format == "idn-hostname" || format == "hostname") {
    std::string_view h = s;
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);
    if (h.empty() || h.size() > 253) return "is not a host name (length)";
    if (HasSpaceOrControl(h)) return "is not a host name (holds spaces)";
    size_t start = 0;
    while (start <= h.size()) {
      size_t dot = h.find('.', start);
      if (dot == std::string_view::npos) dot = h.size();
      size_t len = dot - start;
      if (len == 0 || len > 63) return "is not a host name (empty or over-long label)";
      for (size_t i = start; i < dot; ++i)
        if (std::string_view("/\\@:?#[]%,;*\"'<>|").find(h[i]) != std::string_view::npos)
          return fmt::format("is not a host name (character '{}')", h[i]);
      start = dot + 1;
    }
    return std::nullopt;
  }
  if (format == "date-time") {
    // RFC 3339: YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM|-HH:MM)
    auto dig = [&](size_t i) {
      return i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
    };
    bool ok = s.size() >= 20 && dig(0) && dig(1) && dig(2) && dig(3) && s[4] == '-' && dig(5) &&
              dig(6) && s[7] == '-' && dig(8) && dig(9) && (s[10] == 'T' || s[10] == 't') &&
              dig(11) && dig(12) && s[13] == ':' && dig(14) && dig(15) && s[16] == ':' && dig(17) &&
              dig(18);
    size_t i = 19;
    if (ok && i < s.size() && s[i] == '.') {
      ++i;
      if (!dig(i)) ok = false;
      while (dig(i)) ++i;
    }
    if (ok) {
      std::string_view rest = s.substr(std::min(i, s.size()));
      ok = rest == "Z" || rest == "z" ||
           (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && dig(i + 1) && dig(i + 2) &&
            rest[3] == ':' && dig(i + 4) && dig(i + 5));
    }
    if (!ok) return "is not an RFC 3339 date-time";
    return std::nullopt;
  }
  return std::nullopt;  // unknown formats are annotations
}

// One official schema (bundle.json) has a trailing comma; strict JSON
// parsers refuse it. Removes commas that are followed by '}' or ']'.
std::string StripTrailingCommas(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == ',') {
      size_t j = i + 1;
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      if (j < text.size() && (text[j] == '}' || text[j] == ']')) continue;
    }
    out.push_back(c);
  }
  return out;
}

// "sdos/indicator.json" + "../common/core.json" -> "common/core.json".
std::string ResolvePath(std::string_view base, std::string_view ref) {
  std::vector<std::string> parts;
  size_t slash = base.rfind('/');
  std::string dir = slash == std::string_view::npos ? "" : std::string(base.substr(0, slash));
  std::string joined = dir.empty() ? std::string(ref) : dir + "/" + std::string(ref);
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    std::string seg = joined.substr(start, end - start);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    start = end + 1;
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += '/';
    out += parts[i];
  }
  return out;
}

void AppendPointer(std::string& path, std::string_view token) {
  path.push_back('/');
  for (char c : token) {
    if (c == '~')
      path += "~0";
    else if (c == '/')
      path += "~1";
    else
      path.push_back(c);
  }
}

}  // namespace

struct SchemaNode {
  bool always_false = false;
  std::string where;  // "doc#pointer", for messages about the schema
  std::string title;
  unsigned types = 0;
  const SchemaNode* ref = nullptr;
  std::vector<const SchemaNode*> all_of, any_of, one_of;
  const SchemaNode* not_ = nullptr;
  const SchemaNode* if_ = nullptr;
  const SchemaNode* then_ = nullptr;
  const SchemaNode* else_ = nullptr;
  std::vector<std::string> required;
  std::vector<std::pair<std::string, const SchemaNode*>> properties;
  std::vector<std::pair<const Regex*, const SchemaNode*>> pattern_properties;
  const SchemaNode* additional = nullptr;
  const SchemaNode* property_names = nullptr;
  std::vector<std::pair<std::string, std::vector<std::string>>> dependent_required;
  std::optional<size_t> min_properties, max_properties;
  const SchemaNode* items = nullptr;
  const SchemaNode* contains = nullptr;
  std::optional<size_t> min_items, max_items;
  bool unique_items = false;
  std::optional<size_t> min_length, max_length;
  const Regex* pattern = nullptr;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::vector<Json> enum_values;
  bool has_enum = false;
  std::optional<Json> const_value;
  std::string format;
};

struct SchemaSet::Impl {
  std::map<std::string, Json> docs;
  std::deque<SchemaNode> nodes;
  std::deque<Regex> regexes;
  std::unordered_map<std::string, const SchemaNode*> by_location;  // "doc#pointer"
  std::unordered_map<std::string, const SchemaNode*> roots;
  std::vector<const Regex*> all_regexes;

  std::mutex scratch_mu;
  hs_scratch_t* prototype = nullptr;
  std::vector<hs_scratch_t*> free_scratch;

  ~Impl() {
    for (auto* s : free_scratch) hs_free_scratch(s);
    if (prototype) hs_free_scratch(prototype);
  }

  hs_scratch_t* AcquireScratch() {
    std::lock_guard lock(scratch_mu);
    if (!free_scratch.empty()) {
      auto* s = free_scratch.back();
      free_scratch.pop_back();
      return s;
    }
    hs_scratch_t* s = nullptr;
    if (prototype && hs_clone_scratch(prototype, &s) != HS_SUCCESS) s = nullptr;
    return s;
  }
  void ReleaseScratch(hs_scratch_t* s) {
    if (!s) return;
    std::lock_guard lock(scratch_mu);
    free_scratch.push_back(s);
  }

  Result<const Regex*> MakeRegex(const std::string& source, const std::string& where) {
    auto& r = regexes.emplace_back();
    auto st = r.Compile(source);
    if (!st) return Invalid(fmt::format("schema {}: {}", where, st.error().message));
    all_regexes.push_back(&r);
    return &r;
  }

  Result<const SchemaNode*> Resolve(const std::string& doc, const std::string& ref) {
    size_t hash = ref.find('#');
    std::string file = ref.substr(0, hash);
    std::string pointer = hash == std::string::npos ? "" : ref.substr(hash + 1);
    std::string target = file.empty() ? doc : ResolvePath(doc, file);
    auto it = docs.find(target);
    if (it == docs.end())
      return Invalid(
          fmt::format("schema {}: $ref '{}' names unknown document '{}'", doc, ref, target));
    const Json* j = &it->second;
    if (!pointer.empty()) {
      try {
        j = &it->second.at(Json::json_pointer(pointer));
      } catch (const std::exception&) {
        return Invalid(fmt::format("schema {}: $ref '{}' points at nothing", doc, ref));
      }
    }
    return CompileNode(target, pointer, *j);
  }

  Result<const SchemaNode*> CompileNode(const std::string& doc, const std::string& pointer,
                                        const Json& j) {
    std::string key = doc + "#" + pointer;
    if (auto it = by_location.find(key); it != by_location.end()) return it->second;
    SchemaNode& n = nodes.emplace_back();
    n.where = key;
    by_location.emplace(key, &n);
    if (j.is_boolean()) {
      n.always_false = !j.get<bool>();
      return &n;
    }
    if (!j.is_object()) return Invalid(fmt::format("schema {}: not an object or boolean", key));
    auto sub = [&](std::string_view kw, const Json& v) {
      std::string p = pointer;
      AppendPointer(p, kw);
      return CompileNode(doc, p, v);
    };
    auto sub2 = [&](std::string_view kw, std::string_view name, const Json& v) {
      std::string p = pointer;
      AppendPointer(p, kw);
      AppendPointer(p, name);
      return CompileNode(doc, p, v);
    };
    auto size_of = [&](const Json& v, std::string_view kw) -> Result<size_t> {
      if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<long long>() >= 0))
        return Invalid(fmt::format("schema {}: {} must be a non-negative integer", key, kw));
      return v.get<size_t>();
    };
    for (const auto& [kw, v] : j.items()) {
      if (kw == "$ref") {
        if (!v.is_string()) return Invalid(fmt::format("schema {}: $ref must be a string", key));
        n.ref = ENTENTE_TRY(Resolve(doc, v.get<std::string>()));
      } else if (kw == "title" && v.is_string()) {
        n.title = v.get<std::string>();
      } else if (kw == "type") {
        auto add = [&](const Json& t) -> Status {
          static const std::map<std::string, unsigned, std::less<>> kTypes = {
              {"null", kNull},     {"boolean", kBoolean}, {"object", kObject},  {"array", kArray},
              {"number", kNumber}, {"string", kString},   {"integer", kInteger}};
          if (!t.is_string() || !kTypes.contains(t.get<std::string>()))
            return Invalid(fmt::format("schema {}: unknown type {}", key, t.dump()));
          n.types |= kTypes.find(t.get<std::string>())->second;
          return Ok();
        };
        if (v.is_array()) {
          for (const auto& t : v) ENTENTE_CHECK(add(t));
        } else {
          ENTENTE_CHECK(add(v));
        }
      } else if (kw == "allOf" || kw == "anyOf" || kw == "oneOf") {
        if (!v.is_array() || v.empty())
          return Invalid(fmt::format("schema {}: {} must be a non-empty array", key, kw));
        auto& list = kw == "allOf" ? n.all_of : kw == "anyOf" ? n.any_of : n.one_of;
        for (size_t i = 0; i < v.size(); ++i)
          list.push_back(ENTENTE_TRY(sub2(kw, std::to_string(i), v[i])));
      } else if (kw == "not") {
        n.not_ = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "if") {
        n.if_ = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "then") {
        n.then_ = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "else") {
        n.else_ = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "required") {
        if (!v.is_array()) return Invalid(fmt::format("schema {}: required must be an array", key));
        for (const auto& r : v) n.required.push_back(r.get<std::string>());
      } else if (kw == "properties") {
        if (!v.is_object())
          return Invalid(fmt::format("schema {}: properties must be an object", key));
        for (const auto& [name, s] : v.items())
          n.properties.emplace_back(name, ENTENTE_TRY(sub2(kw, name, s)));
      } else if (kw == "patternProperties") {
        if (!v.is_object())
          return Invalid(fmt::format("schema {}: patternProperties must be an object", key));
        for (const auto& [re, s] : v.items()) {
          const Regex* r = ENTENTE_TRY(MakeRegex(re, key));
          n.pattern_properties.emplace_back(r, ENTENTE_TRY(sub2(kw, re, s)));
        }
      } else if (kw == "additionalProperties") {
        n.additional = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "propertyNames") {
        n.property_names = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "dependentRequired") {
        for (const auto& [name, list] : v.items())
          n.dependent_required.emplace_back(name, list.get<std::vector<std::string>>());
      } else if (kw == "minProperties") {
        n.min_properties = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "maxProperties") {
        n.max_properties = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "items") {
        n.items = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "contains") {
        n.contains = ENTENTE_TRY(sub(kw, v));
      } else if (kw == "minItems") {
        n.min_items = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "maxItems") {
        n.max_items = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "uniqueItems") {
        n.unique_items = v.is_boolean() && v.get<bool>();
      } else if (kw == "minLength") {
        n.min_length = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "maxLength") {
        n.max_length = ENTENTE_TRY(size_of(v, kw));
      } else if (kw == "pattern") {
        if (!v.is_string()) return Invalid(fmt::format("schema {}: pattern must be a string", key));
        n.pattern = ENTENTE_TRY(MakeRegex(v.get<std::string>(), key));
      } else if (kw == "minimum" || kw == "maximum" || kw == "exclusiveMinimum" ||
                 kw == "exclusiveMaximum" || kw == "multipleOf") {
        if (!v.is_number()) return Invalid(fmt::format("schema {}: {} must be a number", key, kw));
        double d = v.get<double>();
        if (kw == "minimum")
          n.minimum = d;
        else if (kw == "maximum")
          n.maximum = d;
        else if (kw == "exclusiveMinimum")
          n.exclusive_minimum = d;
        else if (kw == "exclusiveMaximum")
          n.exclusive_maximum = d;
        else
          n.multiple_of = d;
      } else if (kw == "enum") {
        if (!v.is_array()) return Invalid(fmt::format("schema {}: enum must be an array", key));
        n.has_enum = true;
        for (const auto& e : v) n.enum_values.push_back(e);
      } else if (kw == "const") {
        n.const_value = v;
      } else if (kw == "format" && v.is_string()) {
        n.format = v.get<std::string>();
      } else if (kw == "definitions" || kw == "$defs") {
        // Compiled when referenced.
      }
    }
    return &n;
  }

  // ---- validation -----------------------------------------------------------

  struct Ctx {
    hs_scratch_t* scratch = nullptr;
    std::string path;
    // Quiet: only whether the instance is valid matters, so no path and no
    // message is built (failing anyOf/oneOf branches are common on valid
    // objects). Control flow is the same as when not quiet.
    bool quiet = false;
  };

  static SchemaViolation Quiet() { return SchemaViolation{}; }

  static SchemaViolation Violation(const Ctx& ctx, std::string reason) {
    return SchemaViolation{ctx.path, std::move(reason)};
  }

  // Deeper paths are more precise; among equals, the first wins.
  static void KeepBest(std::optional<SchemaViolation>& best, std::optional<SchemaViolation> v) {
    if (!v) return;
    if (!best || v->path.size() > best->path.size()) best = std::move(v);
  }

  static std::string DescribeNot(const SchemaNode* s) {
    if (!s->required.empty()) return fmt::format("property '{}' is not allowed", s->required[0]);
    if (s->has_enum) return "this value is not allowed";
    if (s->pattern) return fmt::format("must not match the pattern '{}'", s->pattern->source());
    if (!s->any_of.empty()) {
      std::string names;
      for (const auto* a : s->any_of) {
        if (!a->required.empty()) {
          if (!names.empty()) names += ", ";
          names += a->required[0];
        }
      }
      if (!names.empty()) return fmt::format("none of these properties is allowed: {}", names);
    }
    return "matches a schema it must not match";
  }

  // Restores the instance path when a check returns, whatever it returns.
  struct PathGuard {
    std::string& path;
    size_t len;
    ~PathGuard() { path.resize(len); }
  };

  std::optional<SchemaViolation> Check(const SchemaNode* n, const Json& v, Ctx& ctx) const {
    PathGuard guard{ctx.path, ctx.path.size()};
    if (n->always_false) return ctx.quiet ? Quiet() : Violation(ctx, "no value is allowed here");
    if (n->ref) {
      if (auto e = Check(n->ref, v, ctx)) return e;
    }
    if (n->types && !HasType(n->types, v))
      return ctx.quiet ? Quiet()
                       : Violation(ctx, fmt::format("must be {}, found {}", MaskNames(n->types),
                                                    TypeName(v)));
    if (n->has_enum) {
      bool found = false;
      for (const auto& e : n->enum_values)
        if (e == v) found = true;
      if (!found) {
        std::string allowed;
        for (size_t i = 0; i < n->enum_values.size() && i < 8; ++i) {
          if (i) allowed += ", ";
          allowed += n->enum_values[i].dump();
        }
        if (n->enum_values.size() > 8) allowed += ", ...";
        return ctx.quiet
                   ? Quiet()
                   : Violation(ctx, fmt::format("value {} is not one of {}", Short(v), allowed));
      }
    }
    if (n->const_value && *n->const_value != v)
      return ctx.quiet ? Quiet()
                       : Violation(ctx, fmt::format("must be {}", n->const_value->dump()));

    if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      if (n->min_length || n->max_length) {
        size_t len = Utf8Length(s);
        if (n->min_length && len < *n->min_length)
          return ctx.quiet ? Quiet()
                           : Violation(ctx, fmt::format("must be at least {} characters long",
                                                        *n->min_length));
        if (n->max_length && len > *n->max_length)
          return ctx.quiet ? Quiet()
                           : Violation(ctx, fmt::format("must be at most {} characters long",
                                                        *n->max_length));
      }
      if (n->pattern) {
        auto m = n->pattern->Search(s, ctx.scratch);
        if (!m)
          return ctx.quiet ? Quiet()
                           : Violation(ctx, "string with a line break is too long to check");
        if (!*m)
          return ctx.quiet
                     ? Quiet()
                     : Violation(ctx, fmt::format("value {} does not match the pattern '{}'{}",
                                                  Short(v), n->pattern->source(),
                                                  n->title.empty() ? "" : " (" + n->title + ")"));
      }
      if (!n->format.empty()) {
        if (auto p = FormatProblem(n->format, s))
          return ctx.quiet ? Quiet() : Violation(ctx, fmt::format("value {} {}", Short(v), *p));
      }
    } else if (v.is_number()) {
      double d = v.get<double>();
      if (n->minimum && d < *n->minimum)
        return ctx.quiet ? Quiet()
                         : Violation(ctx, fmt::format("must be at least {}", *n->minimum));
      if (n->maximum && d > *n->maximum)
        return ctx.quiet ? Quiet() : Violation(ctx, fmt::format("must be at most {}", *n->maximum));
      if (n->exclusive_minimum && d <= *n->exclusive_minimum)
        return ctx.quiet
                   ? Quiet()
                   : Violation(ctx, fmt::format("must be greater than {}", *n->exclusive_minimum));
      if (n->exclusive_maximum && d >= *n->exclusive_maximum)
        return ctx.quiet
                   ? Quiet()
                   : Violation(ctx, fmt::format("must be less than {}", *n->exclusive_maximum));
      if (n->multiple_of && *n->multiple_of > 0) {
        double q = d / *n->multiple_of;
        if (std::floor(q) != q)
          return ctx.quiet
                     ? Quiet()
                     : Violation(ctx, fmt::format("must be a multiple of {}", *n->multiple_of));
      }
    } else if (v.is_object()) {
      if (auto e = CheckObject(n, v, ctx)) return e;
    } else if (v.is_array()) {
      if (n->min_items && v.size() < *n->min_items)
        return ctx.quiet ? Quiet()
                         : Violation(ctx, fmt::format("must have at least {} item{}", *n->min_items,
                                                      *n->min_items == 1 ? "" : "s"));
      if (n->max_items && v.size() > *n->max_items)
        return ctx.quiet ? Quiet()
                         : Violation(ctx, fmt::format("must have at most {} items", *n->max_items));
      if (n->items) {
        const size_t len = ctx.path.size();
        for (size_t i = 0; i < v.size(); ++i) {
          if (!ctx.quiet) {
            ctx.path += '/';
            ctx.path += std::to_string(i);
          }
          auto e = Check(n->items, v[i], ctx);
          ctx.path.resize(len);
          if (e) return e;
        }
      }
      if (n->contains) {
        bool any = false;
        for (const auto& item : v) {
          if (!Check(n->contains, item, ctx)) {
            any = true;
            break;
          }
        }
        if (!any)
          return ctx.quiet ? Quiet() : Violation(ctx, "contains no item of the required kind");
      }
      if (n->unique_items) {
        std::set<Json> seen;
        for (const auto& item : v)
          if (!seen.insert(item).second)
            return ctx.quiet ? Quiet() : Violation(ctx, "items must be unique");
      }
    }

    for (const auto* s : n->all_of) {
      if (auto e = Check(s, v, ctx)) return e;
    }
    if (!n->any_of.empty()) {
      std::optional<SchemaViolation> best;
      bool ok = false;
      for (const auto* s : n->any_of) {
        auto e = Check(s, v, ctx);
        if (!e) {
          ok = true;
          break;
        }
        KeepBest(best, std::move(e));
      }
      if (!ok) return best;
    }
    if (!n->one_of.empty()) {
      std::optional<SchemaViolation> best;
      int matches = 0;
      for (const auto* s : n->one_of) {
        auto e = Check(s, v, ctx);
        if (!e) {
          ++matches;
        } else {
          KeepBest(best, std::move(e));
        }
      }
      if (matches == 0) return best;
      if (matches > 1)
        return ctx.quiet ? Quiet()
                         : Violation(ctx, "matches more than one of the allowed forms (oneOf)");
    }
    if (n->not_ && !Check(n->not_, v, ctx))
      return ctx.quiet ? Quiet() : Violation(ctx, DescribeNot(n->not_));
    if (n->if_) {
      if (!Check(n->if_, v, ctx)) {
        if (n->then_) {
          if (auto e = Check(n->then_, v, ctx)) return e;
        }
      } else if (n->else_) {
        if (auto e = Check(n->else_, v, ctx)) return e;
      }
    }
    return std::nullopt;
  }

  std::optional<SchemaViolation> CheckObject(const SchemaNode* n, const Json& v, Ctx& ctx) const {
    PathGuard guard{ctx.path, ctx.path.size()};
    const size_t len = guard.len;
    for (const auto& r : n->required) {
      if (!v.contains(r)) {
        AppendPointer(ctx.path, r);
        auto e = ctx.quiet ? Quiet() : Violation(ctx, "required property is missing");
        ctx.path.resize(len);
        return e;
      }
    }
    for (const auto& [name, deps] : n->dependent_required) {
      if (!v.contains(name)) continue;
      for (const auto& d : deps) {
        if (!v.contains(d)) {
          AppendPointer(ctx.path, d);
          auto e = ctx.quiet ? Quiet()
                             : Violation(ctx, fmt::format("required when '{}' is present", name));
          ctx.path.resize(len);
          return e;
        }
      }
    }
    if (n->min_properties && v.size() < *n->min_properties)
      return ctx.quiet
                 ? Quiet()
                 : Violation(ctx, fmt::format("must have at least {} propert{}", *n->min_properties,
                                              *n->min_properties == 1 ? "y" : "ies"));
    if (n->max_properties && v.size() > *n->max_properties)
      return ctx.quiet ? Quiet()
                       : Violation(ctx, fmt::format("must have at most {} properties",
                                                    *n->max_properties));
    const bool walk = !n->properties.empty() || !n->pattern_properties.empty() || n->additional ||
                      n->property_names;
    if (!walk) return std::nullopt;
    for (const auto& [name, value] : v.items()) {
      if (!ctx.quiet) AppendPointer(ctx.path, name);
      bool matched = false;
      for (const auto& [pname, schema] : n->properties) {
        if (pname == name) {
          matched = true;
          if (auto e = Check(schema, value, ctx)) return e;
          break;
        }
      }
      for (const auto& [re, schema] : n->pattern_properties) {
        auto m = re->Search(name, ctx.scratch);
        if (m && *m) {
          matched = true;
          if (auto e = Check(schema, value, ctx)) return e;
        }
      }
      if (!matched && n->additional) {
        if (n->additional->always_false) {
          auto e = ctx.quiet
                       ? Quiet()
                       : Violation(ctx,
                                   "property is not allowed here (not defined by the schema, and "
                                   "custom property names must match ^[a-z][a-z0-9_]{2,249}$)");
          return e;
        }
        if (auto e = Check(n->additional, value, ctx)) return e;
      }
      if (n->property_names) {
        if (auto e = Check(n->property_names, Json(name), ctx)) {
          e->reason = "property name " + e->reason;
          return e;
        }
      }
      ctx.path.resize(len);
    }
    return std::nullopt;
  }

  static std::string Short(const Json& v) {
    std::string s = v.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
  }
};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;

Result<std::unique_ptr<SchemaSet>> SchemaSet::Compile(
    const std::vector<std::pair<std::string, std::string>>& documents) {
  std::unique_ptr<SchemaSet> set(new SchemaSet());
  Impl& impl = *set->impl_;
  for (const auto& [path, text] : documents) {
    Json j = Json::parse(StripTrailingCommas(text), nullptr, false);
    if (j.is_discarded()) return Invalid(fmt::format("schema {} is not valid JSON", path));
    impl.docs.emplace(path, std::move(j));
  }
  for (const auto& [path, j] : impl.docs) {
    const SchemaNode* root = ENTENTE_TRY(impl.CompileNode(path, "", j));
    impl.roots.emplace(path, root);
  }
  for (const Regex* r : impl.all_regexes) {
    if (r->db() && hs_alloc_scratch(r->db(), &impl.prototype) != HS_SUCCESS)
      return Fail(ErrorCode::kInternal, "cannot allocate Vectorscan scratch space");
  }
  return set;
}

const SchemaNode* SchemaSet::Find(std::string_view path) const {
  auto it = impl_->roots.find(std::string(path));
  return it == impl_->roots.end() ? nullptr : it->second;
}

std::optional<SchemaViolation> SchemaSet::Validate(const SchemaNode* schema, const Json& instance,
                                                   std::string_view base_path) const {
  Impl::Ctx ctx;
  ctx.scratch = impl_->AcquireScratch();
  // First only whether it is valid (the common case, cheap); when it is not,
  // again with paths and messages, which gives the same first violation.
  ctx.quiet = true;
  auto result = impl_->Check(schema, instance, ctx);
  if (result) {
    ctx.quiet = false;
    ctx.path = std::string(base_path);
    result = impl_->Check(schema, instance, ctx);
  }
  impl_->ReleaseScratch(ctx.scratch);
  return result;
}

}  // namespace entente::intel
