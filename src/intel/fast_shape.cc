#include "intel/fast_shape.h"

#include <array>
#include <cstdint>
#include <span>

namespace entente::intel {

namespace {

using Json = nlohmann::json;

bool Digit(char c) { return c >= '0' && c <= '9'; }
bool Hex(char c) { return Digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool LowerAlnum(char c) { return Digit(c) || (c >= 'a' && c <= 'z'); }

// What a property's value must be. Every kind is at least as strict as the
// common/properties.json rule every property meets (an array of at least
// one item, a string, a number, a boolean or an object).
enum class Kind : std::uint8_t {
  kType,              // the shape's type (core.json's rules hold for it)
  kSpecVersion,       // "2.0" or "2.1" (core.json; the validator then wants "2.1")
  kId,                // identifier.json, prefixed by "<type>--"
  kIdentifier,        // identifier.json
  kIdentifiers,       // array of at least one identifier.json
  kTimestamp,         // timestamp.json
  kTimestampMillis,   // timestamp.json and at least three fraction digits
  kString,            // any string
  kStrings,           // array of at least one string
  kBoolean,           // true or false
  kConfidence,        // integer 0..100 (written as a JSON integer)
  kRelationshipType,  // ^[a-z0-9\-]+$
  kRelationshipEnd,   // identifier.json, not of an SRO or meta object
};

struct Property {
  std::string_view name;
  Kind kind;
};

// common/core.json (labels, external_references etc. beyond these are left
// to the interpreted validator).
constexpr Property kCore[] = {
    {"type", Kind::kType},
    {"spec_version", Kind::kSpecVersion},
    {"id", Kind::kId},
    {"created", Kind::kTimestampMillis},
    {"modified", Kind::kTimestampMillis},
    {"created_by_ref", Kind::kIdentifier},
    {"labels", Kind::kStrings},
    {"revoked", Kind::kBoolean},
    {"confidence", Kind::kConfidence},
    {"lang", Kind::kString},
    {"object_marking_refs", Kind::kIdentifiers},
};
constexpr std::string_view kCoreRequired[] = {"type", "spec_version", "id", "created", "modified"};

// sdos/indicator.json (kill_chain_phases left to the interpreted validator).
constexpr Property kIndicator[] = {
    {"indicator_types", Kind::kStrings}, {"name", Kind::kString},
    {"description", Kind::kString},      {"pattern", Kind::kString},
    {"pattern_type", Kind::kString},     {"pattern_version", Kind::kString},
    {"valid_from", Kind::kTimestamp},    {"valid_until", Kind::kTimestamp},
};
constexpr std::string_view kIndicatorRequired[] = {"pattern", "pattern_type", "valid_from"};

// sdos/identity.json.
constexpr Property kIdentity[] = {
    {"roles", Kind::kStrings},      {"name", Kind::kString},
    {"description", Kind::kString}, {"identity_class", Kind::kString},
    {"sectors", Kind::kStrings},    {"contact_information", Kind::kString},
};
constexpr std::string_view kIdentityRequired[] = {"name"};

// sros/relationship.json.
constexpr Property kRelationship[] = {
    {"relationship_type", Kind::kRelationshipType},
    {"description", Kind::kString},
    {"source_ref", Kind::kRelationshipEnd},
    {"target_ref", Kind::kRelationshipEnd},
    {"start_time", Kind::kTimestamp},
    {"stop_time", Kind::kTimestamp},
};
constexpr std::string_view kRelationshipRequired[] = {"relationship_type", "source_ref",
                                                      "target_ref"};

struct Shape {
  std::string_view type;
  std::span<const Property> properties;
  std::span<const std::string_view> required;
};

constexpr Shape kShapes[] = {
    {"indicator", kIndicator, kIndicatorRequired},
    {"identity", kIdentity, kIdentityRequired},
    {"relationship", kRelationship, kRelationshipRequired},
};

const Property* FindProperty(std::span<const Property> props, std::string_view name) {
  for (const auto& p : props)
    if (p.name == name) return &p;
  return nullptr;
}

bool IsStringOf(const Json& v, bool (*check)(std::string_view)) {
  return v.is_string() && check(v.get_ref<const std::string&>());
}

bool NonEmptyArrayOf(const Json& v, bool (*check)(const Json&)) {
  if (!v.is_array() || v.empty()) return false;
  for (const auto& item : v)
    if (!check(item)) return false;
  return true;
}

bool ValueFits(Kind kind, const Json& v, std::string_view type) {
  switch (kind) {
    case Kind::kType:
      return v.is_string() && v.get_ref<const std::string&>() == type;
    case Kind::kSpecVersion:
      return v.is_string() &&
             (v.get_ref<const std::string&>() == "2.1" || v.get_ref<const std::string&>() == "2.0");
    case Kind::kId: {
      if (!v.is_string()) return false;
      const std::string& s = v.get_ref<const std::string&>();
      return s.size() > type.size() + 2 && s.starts_with(type) &&
             std::string_view(s).substr(type.size(), 2) == "--" && MatchesIdentifierPattern(s);
    }
    case Kind::kIdentifier:
      return IsStringOf(v, MatchesIdentifierPattern);
    case Kind::kIdentifiers:
      return NonEmptyArrayOf(v,
                             [](const Json& i) { return IsStringOf(i, MatchesIdentifierPattern); });
    case Kind::kTimestamp:
      return IsStringOf(v, [](std::string_view s) { return MatchesTimestampPattern(s, false); });
    case Kind::kTimestampMillis:
      return IsStringOf(v, [](std::string_view s) { return MatchesTimestampPattern(s, true); });
    case Kind::kString:
      return v.is_string();
    case Kind::kStrings:
      return NonEmptyArrayOf(v, [](const Json& i) { return i.is_string(); });
    case Kind::kBoolean:
      return v.is_boolean();
    case Kind::kConfidence:
      if (v.is_number_unsigned()) return v.get<std::uint64_t>() <= 100;
      if (v.is_number_integer()) {
        auto i = v.get<std::int64_t>();
        return i >= 0 && i <= 100;
      }
      return false;  // 50.0 is an integer to JSON Schema: left to the interpreter
    case Kind::kRelationshipType:
      return IsStringOf(v, [](std::string_view s) {
        if (s.empty()) return false;
        for (char c : s)
          if (!(LowerAlnum(c) || c == '-')) return false;
        return true;
      });
    case Kind::kRelationshipEnd:
      return IsStringOf(v, [](std::string_view s) {
        if (!MatchesIdentifierPattern(s)) return false;
        // not ^(relationship|sighting|bundle|marking-definition|language-content)--.+$
        // (an identifier always has a UUID after "--").
        for (std::string_view t :
             {"relationship", "sighting", "bundle", "marking-definition", "language-content"}) {
          if (s.size() > t.size() + 2 && s.starts_with(t) && s.substr(t.size(), 2) == "--")
            return false;
        }
        return true;
      });
  }
  return false;
}

}  // namespace

bool MatchesTimestampPattern(std::string_view s, bool millis) {
  // ^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):
  //  ([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]+)?Z$
  if (s.size() < 20) return false;
  if (!(Digit(s[0]) && Digit(s[1]) && Digit(s[2]) && Digit(s[3]) && s[4] == '-')) return false;
  if (!((s[5] == '0' && s[6] >= '1' && s[6] <= '9') || (s[5] == '1' && s[6] >= '0' && s[6] <= '2')))
    return false;
  if (s[7] != '-') return false;
  if (!((s[8] == '0' && s[9] >= '1' && s[9] <= '9') ||
        ((s[8] == '1' || s[8] == '2') && Digit(s[9])) ||
        (s[8] == '3' && (s[9] == '0' || s[9] == '1'))))
    return false;
  if (s[10] != 'T') return false;
  if (!(((s[11] == '0' || s[11] == '1') && Digit(s[12])) ||
        (s[11] == '2' && s[12] >= '0' && s[12] <= '3')))
    return false;
  if (s[13] != ':' || !(s[14] >= '0' && s[14] <= '5') || !Digit(s[15]) || s[16] != ':')
    return false;
  if (!((s[17] >= '0' && s[17] <= '5' && Digit(s[18])) || (s[17] == '6' && s[18] == '0')))
    return false;
  size_t i = 19;
  size_t fraction = 0;
  if (s[i] == '.') {
    ++i;
    while (i < s.size() && Digit(s[i])) ++i, ++fraction;
    if (fraction == 0) return false;
  }
  if (millis && fraction < 3) return false;
  return i + 1 == s.size() && s[i] == 'Z';
}

bool MatchesIdentifierPattern(std::string_view s) {
  // ^[a-z][a-z0-9-]+[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-
  //  [89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$
  if (s.size() < 3 + 2 + 36) return false;
  const size_t u = s.size() - 36;
  std::string_view prefix = s.substr(0, u - 2);
  if (s[u - 2] != '-' || s[u - 1] != '-') return false;
  if (!(prefix.front() >= 'a' && prefix.front() <= 'z') || !LowerAlnum(prefix.back())) return false;
  for (char c : prefix)
    if (!(LowerAlnum(c) || c == '-')) return false;
  return IsStixUuidText(s.substr(u));
}

bool IsStixUuidText(std::string_view u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (u[i] != '-') return false;
    } else if (!Hex(u[i])) {
      return false;
    }
  }
  if (u[14] < '1' || u[14] > '5') return false;
  const char variant = u[19];
  return variant == '8' || variant == '9' || variant == 'a' || variant == 'b' || variant == 'A' ||
         variant == 'B';
}

bool FastSchemaAccepts(const Json& object) {
  if (!object.is_object()) return false;
  auto type_it = object.find("type");
  if (type_it == object.end() || !type_it->is_string()) return false;
  const std::string& type = type_it->get_ref<const std::string&>();
  const Shape* shape = nullptr;
  for (const auto& s : kShapes)
    if (s.type == type) shape = &s;
  if (!shape) return false;
  for (auto name : kCoreRequired)
    if (!object.contains(name)) return false;
  for (auto name : shape->required)
    if (!object.contains(name)) return false;
  for (const auto& [name, value] : object.items()) {
    const Property* p = FindProperty(kCore, name);
    if (!p) p = FindProperty(shape->properties, name);
    if (!p || !ValueFits(p->kind, value, type)) return false;
  }
  return true;
}

}  // namespace entente::intel
