// Replication between two real nodes on loopback (SQLite, separate
// databases, real HTTP servers, signed requests): objects per second
// replicated from A to B, and the lag from publishing on A to arrival on B
// with B's puller running. Baseline: the same feed pages fetched over the
// same HTTP and stored as opaque rows without verifying or applying
// anything (what a naive copy would cost).
//
// Usage: federation_bench [OBJECTS] [LAG_SAMPLES]   (prints JSON on stdout)
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/node.h"
#include "federation/feed.h"
#include "http/http.h"

using namespace entente;
using Json = nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

[[noreturn]] void Die(const std::string& m) {
  std::cerr << "federation_bench: " << m << "\n";
  std::exit(1);
}
template <class T>
T Ok(Result<T> r, const char* what) {
  if (!r) Die(std::string(what) + ": " + r.error().ToString());
  return std::move(*r);
}
void Ok(Status s, const char* what) {
  if (!s) Die(std::string(what) + ": " + s.error().ToString());
}

struct BenchNode {
  std::filesystem::path dir;
  std::unique_ptr<api::Node> node;
  std::unique_ptr<http::Server> server;
  std::string url;
};

BenchNode Make(const std::filesystem::path& root, const std::string& name) {
  BenchNode b;
  b.dir = root / name;
  std::filesystem::create_directories(b.dir);
  api::NodeOptions o;
  o.db_url = (b.dir / "node.db").string();
  o.master_key_file = b.dir / "master.key";
  api::InitOptions init;
  init.founding_org = {{"kind", "national_csirt"}, {"names", {{"en", name}}}, {"country", "FR"}};
  init.operator_password = "correct horse battery staple";
  Ok(api::Node::Init(o, init), "init");
  b.node = Ok(api::Node::Open(o), "open");
  api::Node* n = b.node.get();
  http::ServerOptions so;
  so.max_body_bytes = 64 << 20;
  b.server = std::make_unique<http::Server>(so, [n](http::Request& r) { return n->Dispatch(r); });
  b.url = "http://127.0.0.1:" + std::to_string(Ok(b.server->Start(), "start"));
  return b;
}

// CPU seconds (user + system) of the whole process so far: both nodes run in
// it, so this counts the serving side and the applying side together.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double Seconds(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

int main(int argc, char** argv) {
  int objects = argc > 1 ? std::atoi(argv[1]) : 5000;
  int samples = argc > 2 ? std::atoi(argv[2]) : 20;
  spdlog::set_level(spdlog::level::err);
  auto root =
      std::filesystem::temp_directory_path() / ("entente-fed-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  BenchNode a = Make(root, "Alpha");
  BenchNode b = Make(root, "Beta");
  Ok(a.node->federation().AddPeer(b.url, b.node->info().id), "peer a->b");
  Ok(b.node->federation().AddPeer(a.url, a.node->info().id), "peer b->a");
  std::string org = Ok(a.node->FoundingOrg(), "org");
  directory::Actor actor{"", org};

  // Objects on A: organisation updates (signed envelopes of ~600 bytes).
  auto t0 = Steady::now();
  for (int i = 0; i < objects; ++i) {
    Ok(a.node->directory().UpdateOrg(actor, org,
                                     {{"kind", "national_csirt"},
                                      {"names", {{"en", "Alpha " + std::to_string(i)}}},
                                      {"country", "FR"}}),
       "update");
  }
  double write_s = Seconds(t0, Steady::now());
  auto journal_a = Ok(a.node->journal().Size(), "size");

  // Entente: B pulls, verifies every signature, applies through the appliers.
  auto t1 = Steady::now();
  double c1 = CpuSeconds();
  auto r = Ok(b.node->federation().Sync(a.node->info().id, 100000), "sync");
  double sync_s = Seconds(t1, Steady::now());
  double sync_cpu = CpuSeconds() - c1;
  if (r.applied < objects) Die("only " + std::to_string(r.applied) + " applied");

  // Baseline: the same pages over HTTP, stored as opaque rows.
  auto peer = Ok(a.node->federation().GetPeer(b.node->info().id), "peer");
  auto peer_on_b = Ok(b.node->federation().GetPeer(a.node->info().id), "peer");
  auto& bdb = b.node->db();
  Ok(bdb.Transact([](store::Tx& tx) -> Status {
    auto st = tx.Exec("CREATE TABLE IF NOT EXISTS bench_copy (seq BIGINT, body TEXT)");
    if (!st) return std::unexpected(st.error());
    return entente::Ok();
  }),
     "create");
  auto t2 = Steady::now();
  double c2 = CpuSeconds();
  std::int64_t after = 0;
  std::int64_t copied = 0;
  std::int64_t bytes = 0;
  for (;;) {
    auto resp =
        Ok(b.node->federation().SignedGet(peer_on_b, "/federation/v1/feed",
                                          {{"after", std::to_string(after)}, {"limit", "1000"}}),
           "get");
    bytes += static_cast<std::int64_t>(resp.body.size());
    auto page = Ok(federation::ParseFeedPage(resp.body), "page");
    Ok(bdb.Transact([&](store::Tx& tx) -> Status {
      for (const auto& e : page.entries) {
        auto st =
            tx.Exec("INSERT INTO bench_copy (seq, body) VALUES (?, ?)", {e.seq, e.envelope.dump()});
        if (!st) return std::unexpected(st.error());
      }
      return entente::Ok();
    }),
       "copy");
    copied += static_cast<std::int64_t>(page.entries.size());
    after = page.next;
    if (!page.more) break;
  }
  double copy_s = Seconds(t2, Steady::now());
  double copy_cpu = CpuSeconds() - c2;
  (void)peer;

  // Lag: B's puller running; publish on A, wait for arrival on B.
  b.node->StartFederation();
  std::vector<double> lags;
  for (int i = 0; i < samples; ++i) {
    auto p0 = Steady::now();
    auto o = Ok(a.node->directory().UpdateOrg(actor, org,
                                              {{"kind", "national_csirt"},
                                               {"names", {{"en", "Lag " + std::to_string(i)}}},
                                               {"country", "FR"}}),
                "update");
    for (;;) {
      auto e = Ok(b.node->journal().ReadById(o.envelope_id), "read");
      if (e) break;
      if (Seconds(p0, Steady::now()) > 30) Die("no arrival within 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    lags.push_back(Seconds(p0, Steady::now()));
  }
  std::sort(lags.begin(), lags.end());
  b.node->federation().Stop();
  Json out = {{"objects", objects},
              {"journal_a", journal_a},
              {"write_seconds", write_s},
              {"replicate_seconds", sync_s},
              {"replicated_per_second", r.applied / sync_s},
              {"replicate_cpu_seconds", sync_cpu},
              {"replicated_per_cpu_second", r.applied / sync_cpu},
              {"baseline_copied", copied},
              {"baseline_seconds", copy_s},
              {"baseline_per_second", copied / copy_s},
              {"baseline_cpu_seconds", copy_cpu},
              {"baseline_per_cpu_second", copied / copy_cpu},
              {"feed_bytes", bytes},
              {"bytes_per_object", copied ? bytes / copied : 0},
              {"lag_samples", samples},
              {"lag_median_ms", lags.empty() ? 0 : lags[lags.size() / 2] * 1000},
              {"lag_max_ms", lags.empty() ? 0 : lags.back() * 1000}};
  std::cout << out.dump(2) << "\n";
  b.server.reset();
  a.server.reset();
  b.node.reset();
  a.node.reset();
  std::filesystem::remove_all(root);
  return 0;
}
