// `entente intel`: STIX 2.1 intelligence (src/intel, docs/intel.md).
//
//   entente intel import FILE [--partial] [--community ID] [--interop]
//   entente intel export [--type TYPE]... [--community ID] [--all-versions]
//                        [--no-revoked] [--out FILE]
//   entente intel validate FILE [--interop]      (stores nothing, needs no node)
//   entente intel pattern check 'PATTERN'        (needs no node)
//
// Import prints a summary (the whole per-object report with --json); every
// rejected object is printed on stderr as "PATH (ID): REASON" and the exit
// code is 1 when anything was rejected.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_group.h"
#include "intel/pattern.h"
#include "intel/repository.h"
#include "intel/stix.h"

namespace entente::cli {
namespace {

using Json = nlohmann::json;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class IntelCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    intel_ =
        app.add_subcommand("intel", "STIX 2.1 intelligence: import, export, validate, patterns");
    intel_->require_subcommand(1);

    import_ =
        intel_->add_subcommand("import", "import a STIX 2.1 bundle (all or nothing by default)");
    import_->add_option("FILE", import_file_, "bundle (JSON)")->required();
    import_->add_flag("--partial", partial_, "store the valid objects even if others are rejected");
    import_->add_option("--community", community_, "community the objects are shared in");
    import_->add_flag("--interop", interop_, "also apply the STIX 2.1 interoperability profile");

    export_ = intel_->add_subcommand("export", "export stored objects as a STIX 2.1 bundle");
    export_->add_option("--type", types_, "only objects of this type (repeatable)");
    export_->add_option("--community", export_community_, "only objects of this community");
    export_->add_flag("--all-versions", all_versions_, "every stored version, not only the newest");
    export_->add_flag("--no-revoked", no_revoked_, "leave out revoked objects");
    export_->add_option("--out", out_, "write to this file instead of standard output");

    validate_ = intel_->add_subcommand("validate", "validate a bundle without storing it");
    validate_->add_option("FILE", validate_file_, "bundle (JSON)")->required();
    validate_->add_flag("--interop", interop_, "also apply the STIX 2.1 interoperability profile");

    auto* pattern = intel_->add_subcommand("pattern", "STIX patterns");
    pattern->require_subcommand(1);
    check_ =
        pattern->add_subcommand("check", "parse a STIX pattern: its normal form and observables");
    check_->add_option("PATTERN", pattern_, "the pattern")->required();
  }

  std::optional<int> Run(const Context& c) override {
    if (!intel_->parsed()) return std::nullopt;
    if (check_->parsed()) return CheckPattern(c);
    if (validate_->parsed()) return Validate(c);
    auto node = OrDie(api::Node::Open(c.Options()));
    intel::IntelRepository repo(node->db(), node->clock());
    if (import_->parsed()) return Import(c, *node, repo);
    if (export_->parsed()) return Export(repo);
    return 2;
  }

 private:
  int CheckPattern(const Context& c) {
    auto p = intel::ParsePattern(pattern_);
    if (!p) Die("invalid pattern: " + p.error().message);
    auto observables = intel::ExtractObservables(*p);
    if (c.json) {
      Json obs = Json::array();
      for (const auto& o : observables) {
        Json j = {{"type", o.type}, {"value", o.value}};
        if (!o.hash_algorithm.empty()) j["hash_algorithm"] = o.hash_algorithm;
        obs.push_back(std::move(j));
      }
      std::cout << Json{{"valid", true}, {"pattern", intel::PrintPattern(*p)}, {"observables", obs}}
                       .dump(2)
                << "\n";
      return 0;
    }
    std::cout << "valid: " << intel::PrintPattern(*p) << "\n";
    for (const auto& o : observables)
      std::cout << fmt::format("  {}{}: {}\n", o.type,
                               o.hash_algorithm.empty() ? "" : " " + o.hash_algorithm, o.value);
    return 0;
  }

  int Validate(const Context& c) {
    std::string text = ReadWholeFile(validate_file_);
    intel::ValidationOptions options;
    options.interop_profile = interop_;
    intel::BundleLimits limits;
    size_t bad = 0;
    Json problems = Json::array();
    auto env = OrDie(intel::ReadBundle(text, limits, [&](size_t i, std::string_view obj) {
      auto j = intel::ParseObject(obj, limits);
      std::string path, reason, id;
      if (!j) {
        path = fmt::format("/objects/{}{}", i, j.error().field);
        reason = j.error().message;
      } else {
        if (j->is_object() && j->contains("id") && (*j)["id"].is_string()) id = (*j)["id"];
        if (auto p = intel::StixValidator::Default().Validate(*j, options)) {
          path = fmt::format("/objects/{}{}", i, p->path);
          reason = p->reason;
        }
      }
      if (!reason.empty()) {
        ++bad;
        problems.push_back({{"index", i}, {"id", id}, {"path", path}, {"reason", reason}});
        if (!c.json) std::cerr << fmt::format("{} ({}): {}\n", path, id.empty() ? "?" : id, reason);
      }
      return Ok();
    }));
    if (c.json) {
      std::cout << Json{{"bundle_id", env.id},
                        {"objects", env.object_count},
                        {"valid", bad == 0},
                        {"problems", problems}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << fmt::format("{} object{}, {} invalid\n", env.object_count,
                               env.object_count == 1 ? "" : "s", bad);
    }
    return bad == 0 ? 0 : 1;
  }

  int Import(const Context& c, api::Node& node, intel::IntelRepository& repo) {
    std::string text = ReadWholeFile(import_file_);
    intel::ImportOptions options;
    options.partial = partial_;
    options.community_id = community_;
    options.owner_org = OrDie(node.FoundingOrg());
    options.validation.interop_profile = interop_;
    auto report = OrDie(repo.Import(text, options));
    for (const auto& o : report.outcomes) {
      if (o.fate == intel::Fate::kRejected && !c.json)
        std::cerr << fmt::format("{} ({}): {}\n", o.path, o.id.empty() ? "?" : o.id, o.reason);
    }
    if (c.json) {
      std::cout << intel::ImportReportJson(report).dump(2) << "\n";
    } else if (report.stored) {
      std::cout << fmt::format(
          "stored: {} added, {} unchanged, {} older versions ignored, {} rejected (of {})\n",
          report.added, report.unchanged, report.ignored, report.rejected, report.total);
    } else {
      std::cout << fmt::format(
          "nothing stored: {} of {} objects rejected (use --partial to keep "
          "the valid ones)\n",
          report.rejected, report.total);
    }
    return report.rejected == 0 ? 0 : 1;
  }

  int Export(intel::IntelRepository& repo) {
    intel::ObjectFilter f;
    f.types = types_;
    if (!export_community_.empty()) f.community_id = export_community_;
    f.all_versions = all_versions_;
    f.include_revoked = !no_revoked_;
    std::string bundle = OrDie(repo.ExportBundle(f));
    if (out_.empty()) {
      std::cout << bundle << "\n";
    } else {
      std::ofstream out(out_, std::ios::binary);
      if (!(out << bundle)) Die("cannot write " + out_);
    }
    return 0;
  }

  CLI::App* intel_ = nullptr;
  CLI::App* import_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* validate_ = nullptr;
  CLI::App* check_ = nullptr;
  std::string import_file_, validate_file_, community_, export_community_, out_, pattern_;
  std::vector<std::string> types_;
  bool partial_ = false, interop_ = false, all_versions_ = false, no_revoked_ = false;
};

}  // namespace

ENTENTE_CLI_GROUP(IntelCommands);

}  // namespace entente::cli
