// Several real nodes in one test, each on its own database (SQLite file or
// PostgreSQL database) and its own HTTP server on loopback, sharing a
// manual clock. Used by the federation tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/node.h"
#include "http/http.h"
#include "store/test_databases.h"

namespace entente::testing {

using Json = nlohmann::json;

struct TestNode {
  std::string name;
  std::filesystem::path dir;
  api::NodeOptions opts;
  std::unique_ptr<api::Node> node;
  std::unique_ptr<http::Server> server;
  std::string url;  // base URL of its server
  std::string org;  // founding organisation
  std::string pg_db;

  federation::Federation& fed() { return node->federation(); }
  const std::string& id() const { return node->info().id; }
};

class FederationTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void TearDown() override {
    for (auto& n : nodes_) {
      n->server.reset();
      n->node.reset();
      if (!n->pg_db.empty()) {
        EXPECT_EQ(store::testing::PgAdminExec(
                      admin_url_, "DROP DATABASE IF EXISTS " + n->pg_db + " WITH (FORCE)"),
                  "");
      }
      std::error_code ec;
      std::filesystem::remove_all(n->dir, ec);
    }
  }

  TestNode& AddNode(const std::string& name, const std::string& country) {
    auto n = std::make_unique<TestNode>();
    n->name = name;
    std::string tmpl = (std::filesystem::temp_directory_path() / "entente-fed-XXXXXX").string();
    EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
    n->dir = tmpl;
    if (GetParam() == store::Backend::kSqlite) {
      n->opts.db_url = "sqlite:" + (n->dir / "node.db").string();
    } else {
      const char* admin = std::getenv(store::testing::kPgUrlVariable);
      EXPECT_TRUE(admin != nullptr && *admin != '\0')
          << store::testing::kPgUrlVariable << " is not set (scripts/pg-test-env.sh)";
      admin_url_ = admin ? admin : "";
      std::random_device rd;
      n->pg_db = "entente_f_" + std::to_string(rd()) + "_" + std::to_string(rd());
      EXPECT_EQ(store::testing::PgAdminExec(admin_url_, "CREATE DATABASE " + n->pg_db), "");
      n->opts.db_url = store::testing::WithDatabase(admin_url_, n->pg_db);
    }
    n->opts.master_key_file = n->dir / "master.key";
    n->opts.clock = &clock_;
    api::InitOptions init;
    init.base_url = "http://127.0.0.1:1";
    init.founding_org = {
        {"kind", "national_csirt"}, {"names", {{"en", name}}}, {"country", country}};
    init.operator_password = "correct horse battery staple";
    auto st = api::Node::Init(n->opts, init);
    EXPECT_TRUE(st) << st.error().ToString();
    auto opened = api::Node::Open(n->opts);
    EXPECT_TRUE(opened) << opened.error().ToString();
    n->node = std::move(*opened);
    n->org = n->node->FoundingOrg().value_or("");
    api::Node* raw = n->node.get();
    n->server = std::make_unique<http::Server>(
        http::ServerOptions{}, [raw](http::Request& r) { return raw->Dispatch(r); });
    auto port = n->server->Start();
    EXPECT_TRUE(port) << port.error().ToString();
    n->url = "http://127.0.0.1:" + std::to_string(port.value_or(0));
    nodes_.push_back(std::move(n));
    return *nodes_.back();
  }

  // a pins b (one direction).
  void Pin(TestNode& a, TestNode& b) {
    auto p = a.fed().AddPeer(b.url, b.id());
    ASSERT_TRUE(p) << p.error().ToString();
  }
  void PeerBoth(TestNode& a, TestNode& b) {
    Pin(a, b);
    Pin(b, a);
  }

  // Every node pulls from every active peer until a whole round brings
  // nothing new (bounded).
  void Converge() {
    for (int round = 0; round < 20; ++round) {
      int applied = 0;
      for (auto& n : nodes_) {
        auto peers = n->fed().ListPeers();
        ASSERT_TRUE(peers);
        for (const auto& p : *peers) {
          if (p.state != federation::PeerState::kActive) continue;
          auto r = n->fed().Sync(p.node_id);
          if (r) applied += r->applied;
        }
      }
      if (applied == 0) return;
    }
    ADD_FAILURE() << "no convergence after 20 rounds";
  }

  bool HasEnvelope(TestNode& n, const std::string& id) {
    auto e = n.node->journal().ReadById(id);
    EXPECT_TRUE(e);
    return e && e->has_value();
  }

  // Polls `cond` every few milliseconds, at most `max_ms` of real time.
  static bool Eventually(const std::function<bool()>& cond, int max_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return cond();
  }

  ManualClock clock_{1'750'000'000'000};
  std::string admin_url_;
  std::vector<std::unique_ptr<TestNode>> nodes_;
};

}  // namespace entente::testing
