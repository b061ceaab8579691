// entente peer ...: federation peers of this node (docs/federation.md).
//
//   entente peer self                          this node's id, fingerprint, key, URL
//   entente peer add URL --fingerprint FP      pin a peer after checking its identity,
//                                              and introduce this node to it;
//                                              --relay: a relay link (hub)
//   entente peer relay ID on|off               mark or unmark a relay link
//   entente peer introductions                 nodes that introduced themselves here
//   entente peer list | show ID
//   entente peer suspend ID | resume ID | remove ID
//   entente peer sync [ID]                     pull now from one or every active peer
//   entente peer alerts                        transparency gossip alerts (forks)
//   entente peer sign-request ID TARGET        signed headers for a GET to a peer (for
//                                              testing connectivity with curl)
#include <fmt/format.h>

#include <iostream>

#include "app/cli_group.h"
#include "federation/signed_request.h"
#include "identity/identity.h"

namespace entente::cli {
namespace {

using Json = nlohmann::json;

class PeerCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    peer_ = app.add_subcommand("peer", "federation peers of this node");
    peer_->require_subcommand(1);
    self_ = peer_->add_subcommand("self", "this node's identity (give the fingerprint to peers)");
    add_ = peer_->add_subcommand("add", "peer with the node at URL after checking its fingerprint");
    add_->add_option("url", url_, "the peer's base URL, e.g. https://node.example.org")->required();
    add_->add_option("--fingerprint", fingerprint_,
                     "the peer's fingerprint, obtained out of band (entente peer self there)")
        ->required();
    add_->add_flag("--relay", relay_flag_,
                   "a relay link: the peer is this node's hub, or this node is its hub "
                   "(relayed sealed messages cross it)");
    relay_ = peer_->add_subcommand("relay", "mark or unmark a peering as a relay link");
    relay_->add_option("id", id_, "the peer's node id")->required();
    relay_->add_option("state", relay_state_, "on or off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
    intros_ = peer_->add_subcommand(
        "introductions", "nodes that introduced themselves (pending until you peer with them)");
    list_ = peer_->add_subcommand("list", "list peers with their state and counters");
    show_ = peer_->add_subcommand("show", "one peer");
    show_->add_option("id", id_, "the peer's node id")->required();
    suspend_ = peer_->add_subcommand("suspend", "stop exchanging with a peer (reversible)");
    suspend_->add_option("id", id_, "the peer's node id")->required();
    resume_ = peer_->add_subcommand("resume", "resume a suspended or removed peer");
    resume_->add_option("id", id_, "the peer's node id")->required();
    remove_ = peer_->add_subcommand("remove", "remove a peer: it gets nothing new");
    remove_->add_option("id", id_, "the peer's node id")->required();
    sync_ = peer_->add_subcommand("sync", "pull now from one peer, or from every active peer");
    sync_->add_option("id", id_, "the peer's node id (default: every active peer)");
    alerts_ = peer_->add_subcommand("alerts", "inconsistent histories detected by gossip");
    sign_ = peer_->add_subcommand(
        "sign-request", "print the signed headers of a GET to a peer (for curl; single use)");
    sign_->add_option("id", id_, "the peer's node id")->required();
    sign_->add_option("target", target_, "path and query, e.g. /federation/v1/feed?after=0")
        ->required();
  }

  std::optional<int> Run(const Context& c) override {
    if (!peer_->parsed()) return std::nullopt;
    auto opened = api::Node::Open(c.Options());
    if (!opened) return Die(opened.error());
    api::Node& node = **opened;
    auto& fed = node.federation();
    if (self_->parsed()) {
      Json s = fed.Self();
      if (c.json) return Print(s);
      std::cout << fmt::format(
          "node id      {}\nfingerprint  {}\npublic key   {}\nbase URL     {}\n",
          s["node_id"].get<std::string>(), Grouped(s["fingerprint"]),
          s["public_key"].get<std::string>(), s["base_url"].get<std::string>());
      return 0;
    }
    if (add_->parsed()) {
      auto p = fed.AddPeer(url_, fingerprint_);
      if (!p) return Die(p.error());
      if (relay_flag_) {
        if (auto st = fed.SetRelay(p->node_id, true); !st) return Die(st.error());
        p->relay = true;
      }
      if (c.json) return Print(p->ToJson());
      std::cout << "peer " << p->node_id << " (" << p->base_url << ") is active\n";
      if (p->introduction == "pending")
        std::cout << "introduced this node to it: pending until its operator runs\n"
                     "  entente peer add "
                  << fed.Self()["base_url"].get<std::string>() << " --fingerprint "
                  << node.info().id << "\n";
      else if (p->introduction == "accepted")
        std::cout << "introduced this node to it: it already peers with this node\n";
      else
        std::cerr << "entente: warning: introduction " << p->introduction
                  << "\n  (the peer's operator must add this node: fingerprint " << node.info().id
                  << ")\n";
      return 0;
    }
    if (relay_->parsed()) {
      auto st = fed.SetRelay(id_, relay_state_ == "on");
      if (!st) return Die(st.error());
      if (c.json) return Print(fed.GetPeer(id_)->ToJson());
      std::cout << "peer " << id_
                << (relay_state_ == "on" ? " is a relay link\n" : " is not a relay link\n");
      return 0;
    }
    if (intros_->parsed()) {
      auto xs = fed.Introductions();
      if (!xs) return Die(xs.error());
      if (c.json) {
        Json a = Json::array();
        for (const auto& x : *xs) a.push_back(x.ToJson());
        return Print(a);
      }
      if (xs->empty()) std::cout << "no introductions\n";
      for (const auto& x : *xs)
        std::cout << fmt::format("{:<8}  {}  {}\n          fingerprint {}\n", x.state, x.name,
                                 x.base_url, Grouped(Json(x.node_id)));
      return 0;
    }
    if (list_->parsed()) {
      auto peers = fed.ListPeers();
      if (!peers) return Die(peers.error());
      if (c.json) {
        Json a = Json::array();
        for (const auto& p : *peers) a.push_back(p.ToJson());
        return Print(a);
      }
      for (const auto& p : *peers) {
        std::int64_t rejected = 0;
        for (const auto& [k, v] : p.rejected) rejected += v;
        std::cout << fmt::format("{}  {:<9}  {}  cursor {}  applied {}  rejected {}{}\n", p.node_id,
                                 federation::PeerStateName(p.state), p.base_url, p.cursor,
                                 p.applied, rejected,
                                 p.last_error.empty() ? "" : "  error: " + p.last_error);
      }
      return 0;
    }
    if (show_->parsed()) {
      auto p = fed.GetPeer(id_);
      if (!p) return Die(p.error());
      return Print(p->ToJson());
    }
    if (suspend_->parsed() || resume_->parsed() || remove_->parsed()) {
      auto state = suspend_->parsed()  ? federation::PeerState::kSuspended
                   : resume_->parsed() ? federation::PeerState::kActive
                                       : federation::PeerState::kRemoved;
      auto st = fed.SetState(id_, state);
      if (!st) return Die(st.error());
      if (c.json) return Print(fed.GetPeer(id_)->ToJson());
      std::cout << "peer " << id_ << " is " << federation::PeerStateName(state) << "\n";
      return 0;
    }
    if (sync_->parsed()) {
      std::vector<std::string> ids;
      if (!id_.empty()) {
        ids.push_back(id_);
      } else {
        auto peers = fed.ListPeers();
        if (!peers) return Die(peers.error());
        for (const auto& p : *peers)
          if (p.state == federation::PeerState::kActive) ids.push_back(p.node_id);
      }
      Json out = Json::object();
      int failed = 0;
      for (const auto& id : ids) {
        auto r = fed.Sync(id);
        if (r) {
          out[id] = r->ToJson();
        } else {
          out[id] = {{"error", r.error().ToString()}};
          ++failed;
        }
      }
      if (c.json) {
        std::cout << out.dump(2) << "\n";
      } else {
        for (const auto& [id, r] : out.items()) {
          if (r.contains("error"))
            std::cout << id << ": " << r["error"].get<std::string>() << "\n";
          else
            std::cout << fmt::format("{}: received {}, applied {}, rejected {}, pending {}\n", id,
                                     r["received"].get<int>(), r["applied"].get<int>(),
                                     r["rejected"].get<int>(), r["pending"].get<int>());
        }
      }
      if (failed > 0 && !c.json)
        std::cerr << "entente: " << failed << " peer(s) could not be synchronised\n";
      return failed > 0 ? 1 : 0;
    }
    if (sign_->parsed()) {
      auto peer = fed.GetPeer(id_);
      if (!peer) return Die(peer.error());
      auto mk = identity::MasterKey::Load(c.Options().master_key_file);
      if (!mk) return Die(mk.error());
      auto secret = identity::NodeIdentity::LoadSecret(node.db(), *mk);
      if (!secret) return Die(secret.error());
      auto h = federation::SignRequest(*secret, node.info().id, peer->node_id, "GET", target_, "",
                                       node.clock().NowMillis());
      if (!h) return Die(h.error());
      for (const auto& [k, v] : *h) std::cout << k << ": " << v << "\n";
      return 0;
    }
    if (alerts_->parsed()) {
      auto a = fed.Alerts();
      if (!a) return Die(a.error());
      Json arr = Json::array();
      for (const auto& x : *a) arr.push_back(x.ToJson());
      if (c.json) return Print(arr);
      if (a->empty()) std::cout << "no alerts\n";
      for (const auto& x : *a)
        std::cout << fmt::format("{}  {}  node {}: {}\n", FormatRfc3339(x.created), x.kind,
                                 x.log_node, x.detail);
      return 0;
    }
    return std::nullopt;
  }

 private:
  static int Die(const Error& e) {
    std::cerr << "entente: " << e.ToString() << "\n";
    return 1;
  }
  static int Print(const Json& j) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  // "ab12 cd34 ..." for reading aloud or comparing by eye.
  static std::string Grouped(const Json& fp) {
    std::string s = fp.get<std::string>(), out;
    for (size_t i = 0; i < s.size(); i += 4) {
      if (i) out += ' ';
      out += s.substr(i, 4);
    }
    return out;
  }

  CLI::App* peer_ = nullptr;
  CLI::App *self_ = nullptr, *add_ = nullptr, *list_ = nullptr, *show_ = nullptr,
           *suspend_ = nullptr, *resume_ = nullptr, *remove_ = nullptr, *sync_ = nullptr,
           *alerts_ = nullptr, *sign_ = nullptr, *intros_ = nullptr, *relay_ = nullptr;
  std::string url_, fingerprint_, id_, target_, relay_state_;
  bool relay_flag_ = false;
};

ENTENTE_CLI_GROUP(PeerCommands);

}  // namespace
}  // namespace entente::cli
