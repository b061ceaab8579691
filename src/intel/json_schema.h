// A compact JSON Schema (draft 2020-12) validator for the keywords the STIX
// 2.1 schemas use: $ref (across documents and to #/json/pointers), allOf,
// anyOf, oneOf, not, if/then/else, type, enum, const, properties,
// patternProperties, additionalProperties, propertyNames, required,
// dependentRequired, minProperties/maxProperties, items, contains,
// minItems/maxItems, uniqueItems, minLength/maxLength, pattern, minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, multipleOf and format
// (date-time, uri, email, idn-hostname, asserted). Unknown keywords are
// annotations and ignored. Debian ships no C++ validator for 2020-12.
//
// Documents are compiled once into a graph of nodes (refs resolved, regexes
// compiled with Vectorscan, falling back to std::regex for what Vectorscan
// cannot compile), so validating an instance walks no JSON of the schema.
//
// Patterns follow ECMA-262 semantics as far as the STIX schemas need: a
// string holding a line break is checked with std::regex (Vectorscan's `$`
// also matches before a final newline) and refused beyond 4 KiB.
//
// A SchemaSet is immutable after Compile() and safe to use from many threads
// (each thread gets its own Vectorscan scratch space).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace entente::intel {

struct SchemaNode;

// Where and why an instance fails: `path` is the JSON pointer (RFC 6901) of
// the offending value in the instance; for a missing required property it
// names the property that is missing.
struct SchemaViolation {
  std::string path;
  std::string reason;
};

class SchemaSet {
 public:
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // Compiles `documents` (relative path such as "sdos/indicator.json", JSON
  // text). Relative $refs resolve against the referring document's path.
  // Trailing commas, which one official schema has, are tolerated.
  // kInvalidArgument naming the document and pointer for a broken schema.
  static Result<std::unique_ptr<SchemaSet>> Compile(
      const std::vector<std::pair<std::string, std::string>>& documents);

  // The root of a document, or nullptr.
  const SchemaNode* Find(std::string_view path) const;

  // The first violation found, or nullopt when `instance` is valid.
  // `base_path` is prefixed to reported paths.
  std::optional<SchemaViolation> Validate(const SchemaNode* schema, const nlohmann::json& instance,
                                          std::string_view base_path = "") const;

 private:
  SchemaSet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace entente::intel
