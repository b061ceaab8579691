// Reference code lists the directory validates against: ISO 3166-1 alpha-2
// countries, ISO 639-1 languages (the primary subtag of BCP 47 tags), and
// critical-infrastructure sectors from the NIS2 ("nis2:...") and US DHS
// ("dhs:...") taxonomies. Generated tables; immutable; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace entente::directory {

struct CodeName {
  std::string code;
  std::string name;  // English reference name
};

const std::vector<CodeName>& Countries();
const std::vector<CodeName>& Languages();
const std::vector<CodeName>& Sectors();

bool IsCountry(std::string_view alpha2);
bool IsSector(std::string_view code);
// A well-formed BCP 47 tag whose primary language subtag is ISO 639-1 and
// whose region subtag, if any, is ISO 3166-1 (e.g. "en", "fr-CA", "zh-Hans",
// "ar", "es-419").
bool IsLanguageTag(std::string_view tag);

}  // namespace entente::directory
