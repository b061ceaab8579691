// TAXII 2.1 objects served per second with pagination, over loopback, side
// by side with what a user would otherwise do in the same run:
//
//   taxii    GET /taxii2/api1/collections/{org}/objects/?limit=L&next=...
//            through the node's whole stack (token, access rule in SQL,
//            version matching, envelope), pages of L until `more` is false
//   static   the same envelopes, prepared in memory, served by the same
//            HTTP server (http::Server) to the same client: the floor of
//            HTTP on loopback
//   sql      the same objects read straight from the database in pages of L
//            (IntelRepository::List, seq > cursor): no HTTP, no access rule
//
// Prints objects/s (wall) and objects per CPU-second of this process (the
// server threads are in it too), and the ratios. The machine is shared:
// compare CPU-seconds. Usage: taxii_bench [OBJECTS] [PAGE]  (defaults
// 100000 and 1000). bench/run-taxii.sh runs it.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/node.h"
#include "http/http.h"
#include "intel/repository.h"

namespace fs = std::filesystem;
using namespace entente;

namespace {

template <class T>
T Must(Result<T> r, const char* what) {
  if (!r) {
    fprintf(stderr, "%s: %s\n", what, r.error().ToString().c_str());
    std::abort();
  }
  return std::move(*r);
}
void Must(Status s, const char* what) {
  if (!s) {
    fprintf(stderr, "%s: %s\n", what, s.error().ToString().c_str());
    std::abort();
  }
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Run {
  const char* label;
  size_t objects = 0;
  double wall = 0, cpu = 0;
};

template <class F>
Run Measure(const char* label, F body) {
  auto t0 = std::chrono::steady_clock::now();
  double c0 = CpuSeconds();
  size_t n = body();
  Run r{label, n};
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu = CpuSeconds() - c0;
  return r;
}

std::string Indicator(size_t n) {
  char id[64];
  snprintf(id, sizeof id, "indicator--00000000-0000-4000-8000-%012zu", n);
  return fmt::format(
      R"({{"type":"indicator","spec_version":"2.1","id":"{}","created":"2024-01-01T00:00:00.000Z",)"
      R"("modified":"2024-01-01T00:00:00.000Z","name":"bench {}","pattern":"[domain-name:value = )"
      R"('h{}.example.org']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z",)"
      R"("object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}})",
      id, n, n);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t total = argc > 1 ? std::stoul(argv[1]) : 100000;
  const size_t page = argc > 2 ? std::stoul(argv[2]) : 1000;
  spdlog::set_level(spdlog::level::warn);
  fs::path dir = fs::temp_directory_path() / ("entente-taxii-bench-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  api::NodeOptions opts;
  opts.master_key_file = dir / "master.key";
  opts.db_url = (dir / "entente.db").string();
  api::InitOptions init;
  init.founding_org = {{"kind", "national_csirt"}, {"names", {{"en", "Bench CERT"}}}};
  init.operator_password = "benchmark password";
  Must(api::Node::Init(opts, init), "init");
  auto node = Must(api::Node::Open(opts), "open");
  std::string org = Must(node->FoundingOrg(), "founding org");
  auto user = Must(node->auth().CreateUser(org, "analyst", "Analyst", "benchmark password",
                                           auth::Role::kAnalyst, false),
                   "user");
  std::string token =
      Must(node->auth().CreateToken(user.id, "bench", {"read"}, 3600000), "token").token;

  // The objects, imported into the organisation's private collection.
  intel::IntelRepository repo(node->db(), node->clock());
  for (size_t done = 0; done < total;) {
    size_t n = std::min<size_t>(20000, total - done);
    std::string bundle =
        R"({"type":"bundle","id":"bundle--6f2a0d5e-3b1c-4a8e-9d7f-0a1b2c3d4e5f","objects":[)";
    for (size_t i = 0; i < n; ++i) {
      if (i) bundle += ',';
      bundle += Indicator(done + i);
    }
    bundle += "]}";
    auto report = Must(repo.Import(bundle, {.owner_org = org, .record_stored = false}), "import");
    if (!report.stored || report.added != n) {
      fprintf(stderr, "import: %zu added of %zu\n", report.added, n);
      return 1;
    }
    done += n;
  }

  http::Server server({.host = "127.0.0.1", .port = 0, .threads = 4},
                      [&](http::Request& req) { return node->Dispatch(req); });
  int port = Must(server.Start(), "listen");
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  http::Headers headers{{"Authorization", "Bearer " + token},
                        {"Accept", "application/taxii+json;version=2.1"}};

  std::vector<std::string> bodies;  // the TAXII pages, for the static server
  Run taxii = Measure("TAXII 2.1 pages over loopback", [&] {
    size_t n = 0;
    std::string next;
    for (;;) {
      std::string path = "/taxii2/api1/collections/" + org +
                         "/objects/?limit=" + std::to_string(page) +
                         (next.empty() ? "" : "&next=" + next);
      auto r = Must(http::Send(base, "GET", path, "", headers, 60), "taxii page");
      if (r.status != 200) {
        fprintf(stderr, "taxii: %d %s\n", r.status, r.body.c_str());
        std::abort();
      }
      auto env = nlohmann::json::parse(r.body);
      n += env.contains("objects") ? env["objects"].size() : 0;
      bodies.push_back(std::move(r.body));
      if (!env.value("more", false)) break;
      next = env["next"].get<std::string>();
    }
    return n;
  });

  http::Server files({.host = "127.0.0.1", .port = 0, .threads = 4}, [&](http::Request& req) {
    http::Response r;
    size_t i = std::stoul(req.path.substr(req.path.rfind('/') + 1));
    r.content_type = "application/taxii+json;version=2.1";
    r.body = bodies.at(i);
    return r;
  });
  int fport = Must(files.Start(), "listen static");
  std::string fbase = "http://127.0.0.1:" + std::to_string(fport);
  Run fixed = Measure("same envelopes from memory, same HTTP server", [&] {
    size_t n = 0;
    for (size_t i = 0; i < bodies.size(); ++i) {
      auto r = Must(http::Send(fbase, "GET", "/page/" + std::to_string(i), "", {}, 60), "static");
      auto env = nlohmann::json::parse(r.body);
      n += env.contains("objects") ? env["objects"].size() : 0;
    }
    return n;
  });

  Run sql = Measure("same objects straight from SQLite (List)", [&] {
    size_t n = 0;
    intel::ObjectFilter f;
    f.limit = page;
    for (;;) {
      auto rows = Must(repo.List(f), "list");
      n += rows.size();
      if (rows.size() < page) break;
      f.after_seq = rows.back().seq;
    }
    return n;
  });
  files.Stop();
  server.Stop();
  node.reset();
  fs::remove_all(dir);

  printf("TAXII 2.1 serving: %zu indicators, pages of %zu, SQLite, loopback\n", total, page);
  printf("%-48s %12s %14s %9s %9s %8s\n", "", "objects/s", "objects/CPU-s", "wall s", "CPU s",
         "ratio");
  for (const Run& r : {taxii, fixed, sql}) {
    if (r.objects != total) {
      fprintf(stderr, "%s: %zu objects, expected %zu\n", r.label, r.objects, total);
      return 1;
    }
    printf("%-48s %12.0f %14.0f %9.2f %9.2f %7.2fx\n", r.label, r.objects / r.wall,
           r.objects / r.cpu, r.wall, r.cpu, (r.objects / r.cpu) / (taxii.objects / taxii.cpu));
  }
  printf("(ratio: objects per CPU-second relative to TAXII; >1 means faster than TAXII)\n");
  return 0;
}
