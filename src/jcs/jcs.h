// RFC 8785 JSON Canonicalization Scheme, and strict parsing of untrusted JSON.
//
// Canonicalize(): object members sorted by their UTF-16 code units, no
// whitespace, strings escaped per RFC 8785 section 3.2.2.2, numbers in the
// ECMAScript Number-to-String form of the IEEE-754 double. Integers beyond
// 2^53 take the value of the nearest double, as in ECMAScript (RFC 8785
// treats every JSON number as an IEEE double). kInvalidArgument for what has
// no canonical form: NaN and infinities, strings or member names that are not
// valid UTF-8, binary values, and nesting deeper than 1000 levels.
//
// ParseUntrusted(): the only way JSON from outside enters the program. It
// enforces size, nesting depth, string length and element count limits,
// rejects invalid UTF-8, NUL bytes and duplicate object keys, and never
// throws. Any JSON value may be the whole document; a leading UTF-8 byte order
// mark is ignored (RFC 8259 section 8.1 allows either).
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
// message saying what and where: the byte offset for malformed text; for a
// limit or a duplicate member, the JSON pointer (RFC 6901) of the value at
// fault in Error::field. Depth counts containers: max_depth = 1 allows `[1]`
// but not `[[1]]`; every value (scalar, array, object) counts as an element.
Result<Json> ParseUntrusted(std::string_view text, const Limits& limits = {});

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace entente::jcs
