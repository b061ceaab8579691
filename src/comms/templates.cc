#include "comms/templates.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "core/clock.h"
#include "core/ids.h"
#include "directory/reference_tables.h"
#include "jcs/jcs.h"
#include "schema/reader.h"

namespace entente::comms {

// Defined in the generated comms_data.cc (cmake/embed_files.cmake).
const std::map<std::string, std::string>& EmbeddedData();

const std::vector<std::string>& UiLanguages() {
  static const std::vector<std::string> k = {"ar", "zh", "en", "fr", "ru", "es"};
  return k;
}

namespace {

const std::set<std::string> kFieldTypes = {
    "choice", "rsit", "sectors", "countries", "time_window", "line", "text", "stix_bundle", "poc"};

Result<Json> ParseData(const std::string& text, const std::string& what) {
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    return Invalid(std::string("does not parse: ") + e.what(), what);
  }
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A STIX 2.1 bundle at the envelope level: the full object validation comes
// with the intelligence module; here the shape, ids and bounds.
Status CheckBundle(const Json& j, const std::string& field) {
  if (!j.is_object()) return Invalid("must be a STIX 2.1 bundle (a JSON object)", field);
  if (j.value("type", "") != "bundle") return Invalid("must have \"type\": \"bundle\"", field);
  std::string id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>() : "";
  if (id.rfind("bundle--", 0) != 0 || !IsUuid(id.substr(8)))
    return Invalid("must have an id of the form bundle--<uuid>", field + ".id");
  if (!j.contains("objects") || !j["objects"].is_array())
    return Invalid("must have an \"objects\" array", field + ".objects");
  if (j["objects"].size() > 10000) return Invalid("has more than 10000 objects", field);
  for (size_t i = 0; i < j["objects"].size(); ++i) {
    const Json& o = j["objects"][i];
    std::string at = field + ".objects[" + std::to_string(i) + "]";
    if (!o.is_object() || !o.contains("type") || !o["type"].is_string() || !o.contains("id") ||
        !o["id"].is_string())
      return Invalid("must be a STIX object with a type and an id", at);
    std::string oid = o["id"].get<std::string>(), type = o["type"].get<std::string>();
    if (oid.rfind(type + "--", 0) != 0 || !IsUuid(oid.substr(type.size() + 2)))
      return Invalid("id must be <type>--<uuid>", at + ".id");
  }
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "type" && it.key() != "id" && it.key() != "objects")
      return Invalid("is not a member of a STIX 2.1 bundle", field + "." + it.key());
  return Ok();
}

}  // namespace

const FieldSpec* Template::Field(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

Result<TemplateSet> TemplateSet::Load(const std::string& templates_json,
                                      const std::string& rsit_json,
                                      const std::map<std::string, std::string>& labels_by_lang) {
  TemplateSet set;
  Json t = ENTENTE_TRY(ParseData(templates_json, "templates.json"));
  Json r = ENTENTE_TRY(ParseData(rsit_json, "rsit.json"));
  try {
    for (const auto& [name, values] : t.at("vocabularies").items())
      set.vocabularies_[name] = values.get<std::vector<std::string>>();
    for (const auto& p : r.at("values")) {
      auto& types = set.rsit_[p.at("predicate").get<std::string>()];
      for (const auto& e : p.at("entry")) types.push_back(e.at("value").get<std::string>());
    }
    for (const auto& j : t.at("templates")) {
      Template tpl;
      tpl.kind = j.at("kind").get<std::string>();
      tpl.version = j.at("version").get<int>();
      tpl.needs_response = j.at("needs_response").get<bool>();
      for (const auto& f : j.at("fields")) {
        FieldSpec fs;
        fs.name = f.at("name").get<std::string>();
        fs.type = f.at("type").get<std::string>();
        fs.vocabulary = f.value("vocabulary", "");
        fs.required = f.value("required", false);
        fs.max_length = f.value("max_length", size_t{0});
        fs.max_items = f.value("max_items", size_t{0});
        if (f.contains("required_when")) {
          const Json& w = f.at("required_when");
          if (!w.is_object() || w.size() != 1)
            return Invalid("required_when names one field", tpl.kind + "." + fs.name);
          fs.required_when_field = w.begin().key();
          fs.required_when_values = w.begin().value().get<std::vector<std::string>>();
        }
        if (!kFieldTypes.contains(fs.type))
          return Invalid("unknown field type " + fs.type, tpl.kind + "." + fs.name);
        if (fs.type == "choice" && !set.vocabularies_.contains(fs.vocabulary))
          return Invalid("unknown vocabulary " + fs.vocabulary, tpl.kind + "." + fs.name);
        if ((fs.type == "line" || fs.type == "text") && fs.max_length == 0)
          return Invalid("text fields need max_length", tpl.kind + "." + fs.name);
        tpl.fields.push_back(std::move(fs));
      }
      for (const auto& fs : tpl.fields)
        if (!fs.required_when_field.empty()) {
          const FieldSpec* other = tpl.Field(fs.required_when_field);
          if (!other || other->type != "choice")
            return Invalid("required_when must name a choice field of the template",
                           tpl.kind + "." + fs.name);
          for (const auto& v : fs.required_when_values)
            if (!Contains(set.vocabularies_.at(other->vocabulary), v))
              return Invalid("required_when value " + v + " is not in the vocabulary",
                             tpl.kind + "." + fs.name);
        }
      if (set.Find(tpl.kind, tpl.version))
        return Invalid("template listed twice", tpl.kind + " v" + std::to_string(tpl.version));
      set.templates_.push_back(std::move(tpl));
    }
  } catch (const std::exception& e) {
    return Invalid(std::string("malformed template data: ") + e.what(), "templates.json");
  }
  for (const auto& [lang, text] : labels_by_lang)
    set.labels_[lang] = ENTENTE_TRY(ParseData(text, "labels/" + lang + ".json"));
  if (!set.labels_.contains("en")) return Invalid("the English catalogue is missing", "labels");
  return set;
}

const TemplateSet& TemplateSet::Embedded() {
  static const TemplateSet set = [] {
    const auto& files = EmbeddedData();
    std::map<std::string, std::string> labels;
    for (const auto& lang : UiLanguages()) {
      auto it = files.find("comms/labels/" + lang + ".json");
      if (it != files.end()) labels[lang] = it->second;
    }
    auto loaded = Load(files.at("comms/templates.json"), files.at("taxonomies/rsit.json"), labels);
    if (!loaded) {
      std::cerr << "entente: embedded message templates are broken: " << loaded.error().ToString()
                << "\n";
      std::abort();
    }
    return std::move(*loaded);
  }();
  return set;
}

const Template* TemplateSet::Find(const std::string& kind, int version) const {
  for (const auto& t : templates_)
    if (t.kind == kind && t.version == version) return &t;
  return nullptr;
}

const Template* TemplateSet::Latest(const std::string& kind) const {
  const Template* best = nullptr;
  for (const auto& t : templates_)
    if (t.kind == kind && (!best || t.version > best->version)) best = &t;
  return best;
}

std::vector<std::string> TemplateSet::Kinds() const {
  std::vector<std::string> out;
  for (const auto& t : templates_)
    if (!Contains(out, t.kind)) out.push_back(t.kind);
  return out;
}

const std::vector<std::string>& TemplateSet::Vocabulary(const std::string& name) const {
  static const std::vector<std::string> empty;
  auto it = vocabularies_.find(name);
  return it == vocabularies_.end() ? empty : it->second;
}

Result<Json> TemplateSet::Validate(const Template& t, const Json& fields,
                                   const FieldContext& ctx) const {
  schema::ObjectReader r(fields, "fields");
  ENTENTE_CHECK(r.valid());
  Json out = Json::object();
  for (const auto& f : t.fields) {
    std::string at = r.PathOf(f.name);
    if (!r.Has(f.name)) {
      if (f.required) return Invalid("is required", at);
      if (!f.required_when_field.empty() && fields.contains(f.required_when_field) &&
          fields.at(f.required_when_field).is_string() &&
          Contains(f.required_when_values, fields.at(f.required_when_field).get<std::string>()))
        return Invalid("is required when " + f.required_when_field + " is " +
                           fields.at(f.required_when_field).get<std::string>(),
                       at);
      continue;
    }
    if (fields.at(f.name).is_null()) return Invalid("must be omitted rather than null", at);
    if (f.type == "choice") {
      auto v = ENTENTE_TRY(r.String(f.name, {.max = 64}));
      if (!Contains(Vocabulary(f.vocabulary), v))
        return Invalid("must be one of " + Json(Vocabulary(f.vocabulary)).dump(), at);
      out[f.name] = v;
    } else if (f.type == "rsit") {
      const Json* c = ENTENTE_TRY(r.Object(f.name));
      schema::ObjectReader cr(*c, at);
      ENTENTE_CHECK(cr.valid());
      auto cls = ENTENTE_TRY(cr.String("class", {.max = 64}));
      auto type = ENTENTE_TRY(cr.String("type", {.max = 64}));
      ENTENTE_CHECK(cr.Finish());
      auto it = rsit_.find(cls);
      if (it == rsit_.end())
        return Invalid("is not a class of the RSIT taxonomy", cr.PathOf("class"));
      if (!Contains(it->second, type))
        return Invalid(
            "is not a type of RSIT class " + cls + " (one of " + Json(it->second).dump() + ")",
            cr.PathOf("type"));
      out[f.name] = {{"class", cls}, {"type", type}};
    } else if (f.type == "sectors" || f.type == "countries") {
      auto v = ENTENTE_TRY(r.StringArray(f.name, f.max_items, {.max = 64}));
      std::set<std::string> seen;
      for (size_t i = 0; i < v.size(); ++i) {
        std::string item_at = at + "[" + std::to_string(i) + "]";
        bool ok = f.type == "sectors" ? directory::IsSector(v[i]) : directory::IsCountry(v[i]);
        if (!ok)
          return Invalid(f.type == "sectors" ? "is not a known sector code (e.g. nis2:health)"
                                             : "is not an ISO 3166-1 alpha-2 country code",
                         item_at);
        if (!seen.insert(v[i]).second) return Invalid("is listed twice", item_at);
      }
      out[f.name] = v;
    } else if (f.type == "time_window") {
      const Json* w = ENTENTE_TRY(r.Object(f.name));
      schema::ObjectReader wr(*w, at);
      ENTENTE_CHECK(wr.valid());
      auto start = ENTENTE_TRY(wr.String("start", {.max = 40}));
      auto end = ENTENTE_TRY(wr.OptString("end", {.max = 40}));
      ENTENTE_CHECK(wr.Finish());
      auto s = ParseRfc3339(start);
      if (!s) return Invalid("must be an RFC 3339 date-time with a time zone", wr.PathOf("start"));
      Json jw = {{"start", FormatRfc3339(*s)}};
      if (end) {
        auto e = ParseRfc3339(*end);
        if (!e) return Invalid("must be an RFC 3339 date-time with a time zone", wr.PathOf("end"));
        if (*e < *s) return Invalid("must not be before the start", wr.PathOf("end"));
        jw["end"] = FormatRfc3339(*e);
      }
      out[f.name] = jw;
    } else if (f.type == "line" || f.type == "text") {
      auto v = ENTENTE_TRY(
          r.String(f.name, {.min = 1, .max = f.max_length, .multiline = f.type == "text"}));
      out[f.name] = v;
    } else if (f.type == "stix_bundle") {
      const Json* b = ENTENTE_TRY(r.Object(f.name));
      ENTENTE_CHECK(CheckBundle(*b, at));
      out[f.name] = *b;
    } else if (f.type == "poc") {
      auto v = ENTENTE_TRY(r.String(f.name, {.max = 64}));
      if (!IsUuid(v) || !ctx.is_own_poc || !ctx.is_own_poc(v))
        return Invalid("is not a point of contact of the sending organisation", at);
      out[f.name] = v;
    }
  }
  ENTENTE_CHECK(r.Finish());
  return out;
}

const Json& TemplateSet::Labels(const std::string& lang) const {
  auto it = labels_.find(lang);
  return it == labels_.end() ? labels_.at("en") : it->second;
}

namespace {

void KeyPaths(const Json& j, const std::string& prefix, std::vector<std::string>& out) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string p = prefix.empty() ? it.key() : prefix + "/" + it.key();
    if (it->is_object())
      KeyPaths(*it, p, out);
    else
      out.push_back(p);
  }
}

}  // namespace

Status TemplateSet::CheckCatalogues() const {
  const Json& en = labels_.at("en");
  std::vector<std::string> required;
  KeyPaths(en, "", required);
  // What the templates use must be in the English catalogue too.
  for (const auto& t : templates_) {
    required.push_back("kind/" + t.kind);
    required.push_back("kind_help/" + t.kind);
    for (const auto& f : t.fields) required.push_back("field/" + f.name);
  }
  for (const auto& [name, values] : vocabularies_)
    for (const auto& v : values) required.push_back(name + "/" + v);
  for (const auto& [cls, types] : rsit_) {
    required.push_back("rsit_class/" + cls);
    for (const auto& type : types) required.push_back("rsit_type/" + type);
  }
  for (const auto& lang : UiLanguages()) {
    auto it = labels_.find(lang);
    if (it == labels_.end()) return Invalid("catalogue missing", "labels/" + lang + ".json");
    std::vector<std::string> have;
    KeyPaths(it->second, "", have);
    std::set<std::string> have_set(have.begin(), have.end());
    for (const auto& key : required) {
      Json::json_pointer ptr("/" + key);
      if (!it->second.contains(ptr) || !it->second.at(ptr).is_string() ||
          it->second.at(ptr).get<std::string>().empty())
        return Invalid("missing or empty label", "labels/" + lang + ".json: " + key);
    }
    std::set<std::string> en_set(required.begin(), required.end());
    for (const auto& key : have)
      if (!en_set.contains(key))
        return Invalid("label not in the English catalogue", "labels/" + lang + ".json: " + key);
  }
  return Ok();
}

Json TemplateSet::Describe(const std::string& lang) const {
  const Json& l = Labels(lang);
  auto label = [&](const std::string& group, const std::string& key) -> Json {
    Json::json_pointer p("/" + group + "/" + key);
    return l.contains(p) ? l.at(p) : Json(key);
  };
  Json out = {{"language", labels_.contains(lang) ? lang : "en"},
              {"templates", Json::array()},
              {"vocabularies", Json::object()},
              {"labels", l}};
  for (const auto& t : templates_) {
    Json tj = {{"kind", t.kind},
               {"version", t.version},
               {"needs_response", t.needs_response},
               {"label", label("kind", t.kind)},
               {"help", label("kind_help", t.kind)},
               {"fields", Json::array()}};
    for (const auto& f : t.fields) {
      Json fj = {{"name", f.name},
                 {"type", f.type},
                 {"required", f.required},
                 {"label", label("field", f.name)}};
      if (!f.vocabulary.empty()) fj["vocabulary"] = f.vocabulary;
      if (f.max_length) fj["max_length"] = f.max_length;
      if (f.max_items) fj["max_items"] = f.max_items;
      if (!f.required_when_field.empty())
        fj["required_when"] = {{f.required_when_field, f.required_when_values}};
      Json::json_pointer hp("/field_help/" + f.name);
      if (l.contains(hp)) fj["help"] = l.at(hp);
      tj["fields"].push_back(fj);
    }
    out["templates"].push_back(tj);
  }
  for (const auto& [name, values] : vocabularies_) out["vocabularies"][name] = values;
  out["vocabularies"]["rsit"] = rsit_;
  return out;
}

}  // namespace entente::comms
