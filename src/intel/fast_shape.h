// Hand-written schema checks for the commonest STIX object shapes, so that
// the importer does not walk the interpreted JSON Schema graph
// (json_schema.h) for every indicator of a million-object bundle.
//
// FastSchemaAccepts(object) answers true only when the object's official
// schema (data/stix/schemas, not the interop profile) certainly accepts it:
// a known shape (indicator, identity, relationship), only properties of
// that shape (core properties included), each of the type the schema
// demands. Anything else (another type, a property it does not know, a
// value it does not check by hand such as external_references or
// extensions) answers false, which means "ask the interpreted validator",
// never "invalid": errors are always the interpreted validator's, so they
// are the same with or without this fast path.
//
// The property that matters, FastSchemaAccepts(o) implies the interpreted
// schema accepts o, is tested by tests/intel/fast_shape_test.cc on mutated
// objects and by the fuzz target intel_bundle_fuzz.
//
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

namespace entente::intel {

// True when `object`'s official schema certainly accepts it (see above).
bool FastSchemaAccepts(const nlohmann::json& object);

// The official patterns, hand-written (no line break is ever accepted):
// common/timestamp.json (with `millis`, also created/modified's
// `T\d{2}:\d{2}:\d{2}\.\d{3,}Z$`) and common/identifier.json.
bool MatchesTimestampPattern(std::string_view s, bool millis);
bool MatchesIdentifierPattern(std::string_view s);
// The UUID part of an identifier as that pattern has it: 36 characters,
// hexadecimal digits of either case, version 1-5, variant 8, 9, a or b.
bool IsStixUuidText(std::string_view u);

}  // namespace entente::intel
