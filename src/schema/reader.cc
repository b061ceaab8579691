#include "schema/reader.h"

#include "jcs/jcs.h"

namespace entente::schema {

ObjectReader::ObjectReader(const Json& j, std::string path) : j_(j), path_(std::move(path)) {}

std::string ObjectReader::PathOf(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

Status ObjectReader::valid() const {
  if (!j_.is_object()) return Invalid("must be a JSON object", path_.empty() ? "body" : path_);
  return Ok();
}

bool ObjectReader::Has(const std::string& key) const {
  return j_.is_object() && j_.contains(key) && !j_.at(key).is_null();
}

Status CheckString(const std::string& s, const StringRule& rule, const std::string& field) {
  if (!jcs::IsValidUtf8(s)) return Invalid("is not valid UTF-8", field);
  // Count code points for length limits.
  size_t cps = 0;
  for (unsigned char c : s) cps += (c & 0xC0) != 0x80;
  if (cps < rule.min)
    return Invalid(rule.min == 1 ? "must not be empty"
                                 : "must be at least " + std::to_string(rule.min) + " characters",
                   field);
  if (cps > rule.max)
    return Invalid("must be at most " + std::to_string(rule.max) + " characters", field);
  for (unsigned char c : s) {
    if (c < 0x20 && !(rule.multiline && (c == '\n' || c == '\t' || c == '\r')))
      return Invalid("must not contain control characters", field);
    if (c == 0x7F) return Invalid("must not contain control characters", field);
  }
  return Ok();
}

Result<std::optional<std::string>> ObjectReader::OptString(const std::string& key,
                                                           StringRule rule) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::string>{};
  if (!it->is_string()) return Invalid("must be a string", PathOf(key));
  const auto& s = it->get_ref<const std::string&>();
  ENTENTE_CHECK(CheckString(s, rule, PathOf(key)));
  return std::optional<std::string>(s);
}

Result<std::string> ObjectReader::String(const std::string& key, StringRule rule) {
  auto v = ENTENTE_TRY(OptString(key, rule));
  if (!v) return Invalid("is required", PathOf(key));
  return *v;
}

Result<std::optional<std::int64_t>> ObjectReader::OptInt(const std::string& key, std::int64_t min,
                                                         std::int64_t max) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<std::int64_t>{};
  if (!it->is_number_integer()) return Invalid("must be an integer", PathOf(key));
  std::int64_t v = 0;
  if (it->is_number_unsigned()) {
    auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return Invalid("is out of range", PathOf(key));
    v = static_cast<std::int64_t>(u);
  } else {
    v = it->get<std::int64_t>();
  }
  if (v < min || v > max)
    return Invalid("must be between " + std::to_string(min) + " and " + std::to_string(max),
                   PathOf(key));
  return std::optional<std::int64_t>(v);
}

Result<std::int64_t> ObjectReader::Int(const std::string& key, std::int64_t min, std::int64_t max) {
  auto v = ENTENTE_TRY(OptInt(key, min, max));
  if (!v) return Invalid("is required", PathOf(key));
  return *v;
}

Result<std::optional<bool>> ObjectReader::OptBool(const std::string& key) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) return std::optional<bool>{};
  if (!it->is_boolean()) return Invalid("must be true or false", PathOf(key));
  return std::optional<bool>(it->get<bool>());
}

Result<std::vector<std::string>> ObjectReader::StringArray(const std::string& key, size_t max_items,
                                                           StringRule rule, bool required) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  std::vector<std::string> out;
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) return Invalid("is required", PathOf(key));
    return out;
  }
  if (!it->is_array()) return Invalid("must be an array of strings", PathOf(key));
  if (it->size() > max_items)
    return Invalid("must have at most " + std::to_string(max_items) + " items", PathOf(key));
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& e = (*it)[i];
    std::string f = PathOf(key) + "[" + std::to_string(i) + "]";
    if (!e.is_string()) return Invalid("must be a string", f);
    const auto& s = e.get_ref<const std::string&>();
    ENTENTE_CHECK(CheckString(s, rule, f));
    if (!seen.insert(s).second) return Invalid("is a duplicate", f);
    out.push_back(s);
  }
  return out;
}

Result<const Json*> ObjectReader::Object(const std::string& key, bool required) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) return Invalid("is required", PathOf(key));
    return static_cast<const Json*>(nullptr);
  }
  if (!it->is_object()) return Invalid("must be an object", PathOf(key));
  return &*it;
}

Result<const Json*> ObjectReader::Array(const std::string& key, size_t max_items, bool required) {
  ENTENTE_CHECK(valid());
  read_.insert(key);
  auto it = j_.find(key);
  if (it == j_.end() || it->is_null()) {
    if (required) return Invalid("is required", PathOf(key));
    return static_cast<const Json*>(nullptr);
  }
  if (!it->is_array()) return Invalid("must be an array", PathOf(key));
  if (it->size() > max_items)
    return Invalid("must have at most " + std::to_string(max_items) + " items", PathOf(key));
  return &*it;
}

Status ObjectReader::Finish() const {
  ENTENTE_CHECK(valid());
  for (auto it = j_.begin(); it != j_.end(); ++it) {
    if (!read_.contains(it.key())) return Invalid("is not a known field", PathOf(it.key()));
  }
  return Ok();
}

}  // namespace entente::schema
