// RFC 8785 JSON Canonicalization Scheme, and strict parsing of untrusted JSON.
//
// Canonicalize(): object members sorted by their UTF-16 code units, no
// whitespace, strings escaped per RFC 8785 section 3.2.2.2, numbers in the
// ECMAScript Number-to-String form of the IEEE-754 double. Integers beyond
// 2^53 take the value of the nearest double, as in ECMAScript (RFC 8785
// treats every JSON number as an IEEE double); NaN and infinities are
// rejected.
//
// ParseUntrusted(): the only way JSON from outside enters the program. It
// enforces size, nesting depth, string length and element count limits,
// rejects invalid UTF-8 and duplicate object keys, and never throws.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace entente::jcs {

using Json = nlohmann::json;

Result<std::string> Canonicalize(const Json& value);

struct Limits {
  size_t max_bytes = 1 << 20;       // whole document
  size_t max_depth = 32;            // nesting of arrays/objects
  size_t max_string_bytes = 65536;  // any single string or key
  size_t max_elements = 100000;     // total values in the document
};

// Errors are kInvalidArgument (kResourceExhausted for over-size input) with a
// message saying what and where (byte offset or JSON pointer when known).
Result<Json> ParseUntrusted(std::string_view text, const Limits& limits = {});

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace entente::jcs
