// `entente intel`: STIX 2.1 intelligence (src/intel, docs/intel.md).
//
//   entente intel import FILE [--partial] [--community ID] [--interop]
//   entente intel export [--type TYPE]... [--community ID] [--all-versions]
//                        [--no-revoked] [--out FILE]
//   entente intel validate FILE [--interop]      (stores nothing, needs no node)
//   entente intel pattern check 'PATTERN'        (needs no node)
//   entente intel community create --name N --purpose P --kind K... --max-tlp T
//                                  [--pap P] [--vouches N] [--single-sponsor]
//   entente intel community list|show ID|invite ID ORG|vouch ID ORG|leave ID|remove ID ORG
//
// Community commands act as one organisation of this node (--org ID, default
// the founding organisation), which signs each decision; they follow the
// same rules as the API (docs/intel.md). Import into a community checks the
// charter's highest TLP and that the importing organisation is a member.
//
// Import prints a summary (the whole per-object report with --json); every
// rejected object is printed on stderr as "PATH (ID): REASON" and the exit
// code is 1 when anything was rejected.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_group.h"
#include "intel/community.h"
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

    community_cmd_ = intel_->add_subcommand("community", "communities of trust");
    community_cmd_->require_subcommand(1);
    auto as_org = [this](CLI::App* cmd) {
      cmd->add_option("--org", org_, "acting organisation (default: the founding organisation)");
    };
    c_create_ = community_cmd_->add_subcommand("create", "create a community with its charter");
    c_create_->add_option("--name", c_name_, "name")->required();
    c_create_->add_option("--purpose", c_purpose_, "purpose")->required();
    c_create_->add_option("--kind", c_kinds_, "organisation kind allowed to join (repeatable)")
        ->required();
    c_create_->add_option("--max-tlp", c_max_tlp_, "highest TLP of shared objects")->required();
    c_create_->add_option("--pap", c_pap_, "default PAP (default green)");
    c_create_->add_option("--vouches", c_vouches_, "member vouches needed to admit (default 2)");
    c_create_->add_flag("--single-sponsor", c_single_, "one vouch (the inviter's) admits");
    as_org(c_create_);
    c_list_ = community_cmd_->add_subcommand("list", "communities the organisation is in");
    as_org(c_list_);
    c_show_ = community_cmd_->add_subcommand("show", "charter and members");
    c_show_->add_option("ID", c_id_, "community id")->required();
    as_org(c_show_);
    for (auto [name, help] : {std::pair{"invite", "invite an organisation (your vouch)"},
                              std::pair{"vouch", "vouch for an invited organisation"},
                              std::pair{"remove", "vote to remove a member"}}) {
      auto* cmd = community_cmd_->add_subcommand(name, help);
      cmd->add_option("ID", c_id_, "community id")->required();
      cmd->add_option("ORG", c_target_, "organisation id")->required();
      as_org(cmd);
      c_votes_.push_back(cmd);
    }
    c_leave_ = community_cmd_->add_subcommand("leave", "leave the community");
    c_leave_->add_option("ID", c_id_, "community id")->required();
    as_org(c_leave_);
  }

  std::optional<int> Run(const Context& c) override {
    if (!intel_->parsed()) return std::nullopt;
    if (check_->parsed()) return CheckPattern(c);
    if (validate_->parsed()) return Validate(c);
    auto node = OrDie(api::Node::Open(c.Options()));
    intel::IntelRepository repo(node->db(), node->clock());
    if (community_cmd_->parsed()) return Community(c, *node);
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
    if (!community_.empty()) {
      if (!OrDie(node.communities().IsActiveMember(community_, options.owner_org)))
        Die("--community: no such community among the organisation's");
      options.max_tlp = OrDie(node.communities().CharterOf(community_)).max_tlp;
    }
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

  static void PrintCommunity(const intel::Community& k) {
    std::cout << fmt::format("{}  {}  ({})\n", k.id, k.charter.name, k.my_status);
    std::cout << fmt::format(
        "  purpose: {}\n  kinds: {}\n  max TLP: {}  default PAP: {}  vouches: {}\n",
        k.charter.purpose, fmt::join(k.charter.allowed_kinds, ", "), k.charter.max_tlp,
        k.charter.default_pap, k.charter.vouches_required);
    for (const auto& m : k.members)
      std::cout << fmt::format(
          "  {} {}{}\n", m.org_id, m.status,
          m.status == "invited"     ? fmt::format(" (vouches: {})", m.vouches.size())
          : m.removal_votes.empty() ? std::string()
                                    : fmt::format(" (removal votes: {})", m.removal_votes.size()));
  }

  int Community(const Context& c, api::Node& node) {
    std::string org = org_.empty() ? OrDie(node.FoundingOrg()) : org_;
    if (!node.directory().GetOrg(org)) Die("--org: no organisation " + org);
    intel::CommunityActor actor{"", org};
    auto& communities = node.communities();
    auto print = [&](const intel::Community& k) {
      if (c.json)
        std::cout << k.ToJson().dump(2) << "\n";
      else
        PrintCommunity(k);
      return 0;
    };
    if (c_create_->parsed()) {
      Json charter = {{"name", c_name_},
                      {"purpose", c_purpose_},
                      {"allowed_kinds", c_kinds_},
                      {"max_tlp", c_max_tlp_}};
      if (!c_pap_.empty()) charter["default_pap"] = c_pap_;
      if (c_vouches_ > 0) charter["vouches_required"] = c_vouches_;
      if (c_single_) charter["single_sponsor"] = true;
      return print(OrDie(communities.Create(actor, charter)));
    }
    if (c_list_->parsed()) {
      auto list = OrDie(communities.ListFor(org));
      if (c.json) {
        Json items = Json::array();
        for (const auto& k : list) items.push_back(k.ToJson());
        std::cout << Json{{"items", items}}.dump(2) << "\n";
      } else {
        for (const auto& k : list)
          std::cout << fmt::format("{}  {}  ({})\n", k.id, k.charter.name, k.my_status);
      }
      return 0;
    }
    if (c_show_->parsed()) return print(OrDie(communities.Get(org, c_id_)));
    if (c_leave_->parsed()) return print(OrDie(communities.Leave(actor, c_id_)));
    if (c_votes_[0]->parsed()) return print(OrDie(communities.Invite(actor, c_id_, c_target_)));
    if (c_votes_[1]->parsed()) return print(OrDie(communities.Vouch(actor, c_id_, c_target_)));
    if (c_votes_[2]->parsed()) return print(OrDie(communities.VoteRemove(actor, c_id_, c_target_)));
    return 2;
  }

  CLI::App* community_cmd_ = nullptr;
  CLI::App *c_create_ = nullptr, *c_list_ = nullptr, *c_show_ = nullptr, *c_leave_ = nullptr;
  std::vector<CLI::App*> c_votes_;  // invite, vouch, remove
  std::string org_, c_name_, c_purpose_, c_max_tlp_, c_pap_, c_id_, c_target_;
  std::vector<std::string> c_kinds_;
  int c_vouches_ = 0;
  bool c_single_ = false;
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
