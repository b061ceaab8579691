// STIX 2.1 objects and bundles: validation against the official JSON schemas
// (compiled into the binary from data/stix) plus the specification's rules
// that the schemas do not express, and a streaming reader of bundles that
// keeps memory bounded by the largest object, not the bundle.
//
// Rules checked beyond the schemas:
//  - the type is known (SDO, SRO, SCO, meta object) or a custom `x-` type;
//  - id is `<type>--<UUID>`, its prefix is the object's type, the UUID is in
//    RFC 4122 form (version 1-5, variant bits 10xx);
//  - spec_version is "2.1" on SDOs, SROs and meta objects (2.0 content is
//    not accepted);
//  - timestamps are real dates (no 30 February), modified >= created;
//  - a STIX pattern (pattern_type "stix") parses (see pattern.h);
//  - every *_ref property holds an identifier and every *_refs property a
//    list of identifiers;
//  - custom property names match ^[a-z0-9_]{3,250}$ (section 3.1).
//
// Problems name the object (index in the bundle, id when known), the JSON
// pointer of the property at fault and the reason.
//
// Thread-safety: the validator is immutable; Default() is built once.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "intel/json_schema.h"
#include "intel/pattern.h"

namespace entente::intel {

using Json = nlohmann::json;

struct ValidationOptions {
  // Also apply the STIX 2.1 Interoperability profile (data/stix/interop):
  // e.g. indicators need name, indicator_types and created_by_ref, and
  // objects carry a TLP 1.0 marking.
  bool interop_profile = false;
  // Accept objects of custom `x-` types (validated as generic objects).
  bool allow_custom_types = true;
  // Check the common shapes by hand when that certainly accepts them
  // (fast_shape.h); the outcome is the same either way. Off: always the
  // interpreted schema (the differential test and fuzz target compare both).
  bool fast_shapes = true;
};

struct ObjectProblem {
  std::string path;  // JSON pointer within the object ("/pattern"), "" for the object
  std::string reason;
};

class StixValidator {
 public:
  // The validator for the embedded official schemas (compiled on first use).
  static const StixValidator& Default();

  // Builds a validator from schema documents keyed by their path relative
  // to the data/stix directory ("schemas/sdos/indicator.json").
  static Result<std::unique_ptr<StixValidator>> Create(
      const std::vector<std::pair<std::string, std::string>>& documents);

  // The first problem of `object`, or nullopt when it is a valid STIX 2.1 object.
  std::optional<ObjectProblem> Validate(const Json& object,
                                        const ValidationOptions& options = {}) const;
  // The same, and when `object` is an indicator with pattern_type "stix",
  // its parsed pattern in `*pattern` (the importer needs it again for the
  // correlation keys; parsing once is cheaper).
  std::optional<ObjectProblem> Validate(const Json& object, const ValidationOptions& options,
                                        std::optional<Pattern>* pattern) const;

 private:
  explicit StixValidator(std::unique_ptr<SchemaSet> schemas) : schemas_(std::move(schemas)) {}
  std::unique_ptr<SchemaSet> schemas_;
};

// Kinds of STIX object.
bool IsDomainObjectType(std::string_view type);        // attack-pattern ... vulnerability
bool IsRelationshipObjectType(std::string_view type);  // relationship, sighting
bool IsCyberObservableType(std::string_view type);     // artifact ... x509-certificate
bool IsMetaObjectType(
    std::string_view type);  // marking-definition, language-content, extension-definition

// "<type>--<uuid>" with a lower-case type and an RFC 4122 UUID.
bool IsStixIdentifier(std::string_view id);

// A timestamp as a string that sorts in time order: the fraction padded or
// cut to nine digits ("2016-04-06T20:03:48.000000000Z"). Empty if malformed.
std::string VersionKey(std::string_view timestamp);

// ---- bundles ----------------------------------------------------------------

struct BundleLimits {
  size_t max_bytes = size_t{1} << 30;         // whole bundle
  size_t max_objects = 5'000'000;             // elements of "objects"
  size_t max_object_bytes = size_t{1} << 20;  // one object's JSON text
  size_t max_depth = 32;                      // nesting inside one object
};

struct BundleEnvelope {
  std::string id;  // bundle--...
  size_t object_count = 0;
};

// Reads a bundle without building it in memory: checks the envelope (a JSON
// object with "type": "bundle", a bundle id, an "objects" array, nothing
// else but custom properties) and calls `on_object(index, text)` with the
// JSON text of each element of "objects", in order. `on_object` may stop the
// reading by returning an error, which is passed through. A single STIX
// object that is not a bundle is read as a bundle of one (id empty).
//
// Errors: kInvalidArgument with the byte offset for malformed text, the
// member at fault for a bad envelope; kResourceExhausted past the limits.
Result<BundleEnvelope> ReadBundle(std::string_view text, const BundleLimits& limits,
                                  const std::function<Status(size_t, std::string_view)>& on_object);

// Parses one object's text within the limits (jcs::ParseUntrusted).
Result<Json> ParseObject(std::string_view text, const BundleLimits& limits);

}  // namespace entente::intel
