// Message templates: the kinds of message Entente carries (incident
// notification, request for assistance or information, response,
// consultation, communication check, free-form), each a versioned list of
// structured fields, with every label and enumerated value in the six UN
// languages. The data lives in data/comms (templates.json, labels/<lang>.json)
// and the RSIT taxonomy in data/taxonomies/rsit.json; all are embedded in the
// binary at build time.
//
// Validate() is strict: unknown fields, wrong types, values outside a
// vocabulary, over-long text and missing required fields (including a field
// required only when another has a given value, such as the reason of a
// declined response) are errors naming the field ("fields.classification.type"). It returns the
// normalised fields (members in a fixed form) that go into the sealed body.
//
// Immutable after loading; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace entente::comms {

using Json = nlohmann::json;

// The six UN languages, in the catalogue order.
const std::vector<std::string>& UiLanguages();

struct FieldSpec {
  std::string name;
  std::string type;        // choice | rsit | sectors | countries | time_window | line | text
                           // | stix_bundle | poc
  std::string vocabulary;  // for choice
  bool required = false;
  size_t max_length = 0;  // line, text
  size_t max_items = 0;   // sectors, countries
  // Required when another field of the message has one of these values
  // ("required_when": {"outcome": ["declined"]}); empty: never.
  std::string required_when_field;
  std::vector<std::string> required_when_values;
};

struct Template {
  std::string kind;
  int version = 0;
  bool needs_response = false;  // a response deadline applies
  std::vector<FieldSpec> fields;
  const FieldSpec* Field(const std::string& name) const;
};

// Checks references the template cannot decide alone.
struct FieldContext {
  // True when `poc_id` is a point of contact of the sending organisation.
  std::function<bool(const std::string& poc_id)> is_own_poc;
};

class TemplateSet {
 public:
  // The embedded templates and catalogues; aborts at start-up if they are
  // malformed (a build-time mistake, caught by the tests).
  static const TemplateSet& Embedded();
  // Loads from JSON texts (for tests): templates.json, rsit.json and one
  // labels document per language.
  static Result<TemplateSet> Load(const std::string& templates_json, const std::string& rsit_json,
                                  const std::map<std::string, std::string>& labels_by_lang);

  const Template* Find(const std::string& kind, int version) const;
  const Template* Latest(const std::string& kind) const;
  std::vector<std::string> Kinds() const;
  const std::vector<std::string>& Vocabulary(const std::string& name) const;
  // RSIT classes with their types.
  const std::map<std::string, std::vector<std::string>>& Rsit() const { return rsit_; }

  // Validates `fields` (a JSON object) against `t`; returns the normalised
  // object. Errors name the field as "fields.<name>[...]".
  Result<Json> Validate(const Template& t, const Json& fields, const FieldContext& ctx) const;

  // Labels in `lang` (one of UiLanguages(); others fall back to English).
  const Json& Labels(const std::string& lang) const;
  // Every key of the English catalogue, and every kind, field and vocabulary
  // value the templates use, present and non-empty in every language; the
  // first problem found otherwise.
  Status CheckCatalogues() const;
  // The templates with labels in `lang`, as the API serves them.
  Json Describe(const std::string& lang) const;

 private:
  std::vector<Template> templates_;
  std::map<std::string, std::vector<std::string>> vocabularies_;
  std::map<std::string, std::vector<std::string>> rsit_;
  std::map<std::string, Json> labels_;
};

}  // namespace entente::comms
