// Strict reading of JSON request bodies and envelope bodies.
//
// An ObjectReader reads named members of one JSON object, checking types and
// bounds, and remembers which members it read; Finish() fails on any member
// it did not read, so unknown fields are errors, never silently dropped.
// Every error names the field by its path ("poc.channels[1].value").
// Strings are checked for valid UTF-8 and for control characters.
// Not thread-safe (one reader per request).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace entente::schema {

using Json = nlohmann::json;

struct StringRule {
  size_t min = 1;
  size_t max = 256;
  bool multiline = false;  // allow \n and \t
};

class ObjectReader {
 public:
  // `path` prefixes field names in errors ("" for the top level).
  ObjectReader(const Json& j, std::string path = {});

  Status valid() const;  // error when `j` is not an object

  Result<std::string> String(const std::string& key, StringRule rule = {});
  Result<std::optional<std::string>> OptString(const std::string& key, StringRule rule = {});
  Result<std::int64_t> Int(const std::string& key, std::int64_t min, std::int64_t max);
  Result<std::optional<std::int64_t>> OptInt(const std::string& key, std::int64_t min,
                                             std::int64_t max);
  Result<std::optional<bool>> OptBool(const std::string& key);
  Result<std::vector<std::string>> StringArray(const std::string& key, size_t max_items,
                                               StringRule rule = {}, bool required = true);
  // A member that must be an object / array; returns it for nested reading.
  Result<const Json*> Object(const std::string& key, bool required = true);
  Result<const Json*> Array(const std::string& key, size_t max_items, bool required = true);
  bool Has(const std::string& key) const;

  // Error naming the first member that was never read.
  Status Finish() const;

  std::string PathOf(const std::string& key) const;

 private:
  const Json& j_;
  std::string path_;
  std::set<std::string> read_;
};

// Validates a string value against a rule; `field` names it in errors.
Status CheckString(const std::string& s, const StringRule& rule, const std::string& field);

}  // namespace entente::schema
