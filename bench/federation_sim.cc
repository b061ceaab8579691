// In-process simulator of a federation of many nodes (a model, not the
// nodes themselves): regional hubs fully meshed, every other node peered
// with its region's hub plus a few direct peerings. Each round every node
// pulls one bounded page from each of its peers, as the real pullers do,
// with the real policy (federation::MayHold) deciding what a feed may carry:
// directory objects go everywhere (relayed by hubs), messages (distribution
// `orgs`, some TLP:RED) only to their recipients' home nodes, so they need a
// direct peering. Feeds skip what originates from the requester but do not
// know what else it holds, so relays produce duplicates, which are counted.
//
// Topology "roles" is the same graph with relay by role (docs/federation.md):
// only relay links (hub <-> hub, hub <-> its own leaves) carry envelopes of
// other origins, and each node forwards only what its role calls for: a leaf
// serves only its own envelopes (to its hub and its direct peers), a hub
// serves its leaves everything it holds, and the other hubs only what
// originates in its region (itself and its leaves), which they cannot get
// otherwise. Every object then crosses each link of the hub tree once.
//
// Measures rounds to convergence, estimated time (rounds x pull interval +
// apply time at a given rate), bytes exchanged and duplicates, for growing
// federations; also a full mesh for comparison at the smaller sizes.
//
// Usage: federation_sim [--quick]   (prints a table and JSON lines)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "federation/policy.h"

using namespace entente;

namespace {

struct Object {
  int origin = 0;
  int recipient = -1;  // home node of the recipient org; -1: federation-wide
  bool red = false;
  int bytes = 0;
};

struct Sim {
  int n = 0;
  std::vector<std::vector<int>> peers;
  std::vector<Object> objects;
  std::vector<std::vector<int>> journal;  // object ids in arrival order
  std::vector<std::vector<char>> holds;   // node x object
  std::vector<std::map<int, size_t>> cursor;
};

// Organisations are "o<node>": home node = the node.
class SimAudience final : public federation::Audience {
 public:
  Result<std::string> HomeNode(const std::string& org) override { return "n" + org.substr(1); }
  Result<std::set<std::string>> CommunityNodes(const std::string&) override {
    return std::set<std::string>{};
  }
};

journal::Envelope EnvelopeOf(const Object& o) {
  journal::Envelope e;
  e.author_org = "o" + std::to_string(o.origin);
  e.origin_node = "n" + std::to_string(o.origin);
  if (o.recipient < 0) {
    e.distribution.kind = journal::DistributionKind::kFederation;
    e.tlp = "green";
  } else {
    e.distribution.kind = journal::DistributionKind::kOrgs;
    e.distribution.orgs = {e.author_org, "o" + std::to_string(o.recipient)};
    e.tlp = o.red ? "red" : "amber";
  }
  return e;
}

struct Result_ {
  std::string topology;
  int nodes = 0, links = 0, objects = 0, rounds = 0;
  double bytes = 0, duplicates = 0, requests = 0;
  bool converged = false;
  int max_applied_per_node = 0;
};

Result_ Run(const std::string& topology, int n, int hubs, int extra, int dir_per_node,
            int msg_per_node, std::mt19937& rng, int page = 1000) {
  const bool roles = topology == "roles";
  auto is_hub = [&](int x) { return topology != "mesh" && x < hubs; };
  auto region = [&](int x) { return x % std::max(hubs, 1); };  // a hub's region is itself
  // What `server` forwards to `requester` of an object from `origin`.
  auto forwards = [&](int server, int requester, int origin) {
    if (!roles || origin == server) return true;
    if (!is_hub(server)) return false;                           // a leaf serves only its own
    if (!is_hub(requester)) return region(requester) == server;  // a hub to its own leaves
    return region(origin) == server;  // a hub to a hub: its region's envelopes
  };
  Sim s;
  s.n = n;
  s.peers.assign(n, {});
  auto link = [&](int a, int b) {
    if (a == b) return;
    if (std::find(s.peers[a].begin(), s.peers[a].end(), b) != s.peers[a].end()) return;
    s.peers[a].push_back(b);
    s.peers[b].push_back(a);
  };
  if (topology == "mesh") {
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b < n; ++b) link(a, b);
  } else {
    for (int a = 0; a < hubs; ++a)
      for (int b = a + 1; b < hubs; ++b) link(a, b);
    for (int a = hubs; a < n; ++a) link(a, a % hubs);
    std::uniform_int_distribution<int> any(hubs, n - 1);
    for (int a = hubs; a < n; ++a)
      for (int k = 0; k < extra; ++k) link(a, any(rng));
  }
  int links = 0;
  for (const auto& p : s.peers) links += static_cast<int>(p.size());
  links /= 2;
  // Objects: directory objects for everyone, messages to a direct peer.
  std::uniform_int_distribution<int> size_dir(500, 900), size_msg(1500, 4000);
  for (int a = 0; a < n; ++a) {
    for (int i = 0; i < dir_per_node; ++i) s.objects.push_back({a, -1, false, size_dir(rng)});
    for (int i = 0; i < msg_per_node && !s.peers[a].empty(); ++i) {
      std::uniform_int_distribution<size_t> pick(0, s.peers[a].size() - 1);
      s.objects.push_back({a, s.peers[a][pick(rng)], i % 3 == 0, size_msg(rng)});
    }
  }
  std::shuffle(s.objects.begin(), s.objects.end(), rng);
  s.journal.assign(n, {});
  s.holds.assign(n, std::vector<char>(s.objects.size(), 0));
  s.cursor.assign(n, {});
  for (size_t id = 0; id < s.objects.size(); ++id) {
    s.journal[s.objects[id].origin].push_back(static_cast<int>(id));
    s.holds[s.objects[id].origin][id] = 1;
  }
  // Who must end up with what.
  SimAudience aud;
  std::vector<journal::Envelope> envs;
  for (const auto& o : s.objects) envs.push_back(EnvelopeOf(o));
  auto allowed = [&](int node, int id) {
    auto v = federation::MayHold(envs[id], "n" + std::to_string(node), aud);
    return v && *v == federation::Verdict::kAllowed;
  };
  std::vector<std::vector<char>> may(n, std::vector<char>(s.objects.size(), 0));
  for (int a = 0; a < n; ++a)
    for (size_t id = 0; id < s.objects.size(); ++id) may[a][id] = allowed(a, static_cast<int>(id));
  auto done = [&] {
    for (int a = 0; a < n; ++a)
      for (size_t id = 0; id < s.objects.size(); ++id)
        if (may[a][id] && !s.holds[a][id]) return false;
    return true;
  };
  Result_ r;
  r.topology = topology;
  r.nodes = n;
  r.links = links;
  r.objects = static_cast<int>(s.objects.size());
  std::vector<int> applied(n, 0);
  const double kRequestOverhead = 420 + 650;  // signed headers + page frame and tree heads
  while (!done() && r.rounds < 500) {
    ++r.rounds;
    std::vector<size_t> len(n);
    for (int a = 0; a < n; ++a) len[a] = s.journal[a].size();
    for (int a = 0; a < n; ++a) {
      for (int p : s.peers[a]) {
        size_t& c = s.cursor[a][p];
        int sent = 0;
        r.requests++;
        r.bytes += kRequestOverhead;
        while (c < len[p] && sent < page) {
          int id = s.journal[p][c++];
          const Object& o = s.objects[id];
          if (o.origin == a) continue;              // the feed skips the requester's own
          if (!may[a][id]) continue;                // filtered before it leaves
          if (!forwards(p, a, o.origin)) continue;  // not its role
          ++sent;
          r.bytes += o.bytes + 30;
          if (s.holds[a][id]) {
            r.duplicates++;
            continue;
          }
          s.holds[a][id] = 1;
          s.journal[a].push_back(id);
          applied[a]++;
        }
      }
    }
  }
  r.converged = done();
  r.max_applied_per_node = *std::max_element(applied.begin(), applied.end());
  // No leak: nobody holds what it may not.
  for (int a = 0; a < n; ++a)
    for (size_t id = 0; id < s.objects.size(); ++id)
      if (s.holds[a][id] && !may[a][id]) {
        std::fprintf(stderr, "LEAK: node %d holds object %zu\n", a, id);
        std::exit(1);
      }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const double kPullIntervalS = 0.2;    // Options::idle_ms
  const double kApplyPerSecond = 4000;  // measured by federation_bench (SQLite); see docs
  std::mt19937 rng(20261202);
  std::vector<Result_> results;
  std::vector<int> sizes = quick ? std::vector<int>{10, 100} : std::vector<int>{10, 100, 300, 1000};
  for (int n : sizes) {
    int hubs = std::max(2, n / 50);
    std::mt19937 same = rng;  // the same graph and objects, relayed by role
    results.push_back(Run("hubs", n, hubs, 2, 10, 5, rng));
    results.push_back(Run("roles", n, hubs, 2, 10, 5, same));
    if (n <= 300) results.push_back(Run("mesh", n, 0, 0, 10, 5, rng));
  }
  std::printf("%-6s %6s %7s %8s %7s %9s %11s %11s %12s %10s\n", "topo", "nodes", "links", "objects",
              "rounds", "est. s", "MB total", "MB/node", "duplicates", "requests");
  for (const auto& r : results) {
    double est = r.rounds * kPullIntervalS + r.max_applied_per_node / kApplyPerSecond;
    std::printf("%-6s %6d %7d %8d %7d %9.1f %11.1f %11.2f %12.0f %10.0f%s\n", r.topology.c_str(),
                r.nodes, r.links, r.objects, r.rounds, est, r.bytes / 1e6, r.bytes / 1e6 / r.nodes,
                r.duplicates, r.requests, r.converged ? "" : "  (NOT CONVERGED)");
  }
  for (const auto& r : results) {
    std::printf(
        "{\"topology\":\"%s\",\"nodes\":%d,\"links\":%d,\"objects\":%d,\"rounds\":%d,"
        "\"bytes\":%.0f,\"duplicates\":%.0f,\"requests\":%.0f,\"converged\":%s}\n",
        r.topology.c_str(), r.nodes, r.links, r.objects, r.rounds, r.bytes, r.duplicates,
        r.requests, r.converged ? "true" : "false");
  }
  return 0;
}
