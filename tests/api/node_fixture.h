// A whole node on a fresh database of either backend, for directory, auth
// and API tests. Provides helpers to create organisations, users and tokens,
// and to start the real HTTP server on a free loopback port.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "api/node.h"
#include "http/http.h"
#include "store/test_databases.h"

namespace entente::testing {

using Json = nlohmann::json;

inline Json OrgInput(const std::string& name, const std::string& country = "FR",
                     const std::string& kind = "national_csirt") {
  return Json{{"kind", kind}, {"names", {{"en", name}}}, {"country", country}};
}

inline Json PocInput(const std::string& name) {
  return Json{{"role", "technical"},
              {"function_title", "Duty officer"},
              {"name", name},
              {"languages", {"en", "fr"}},
              {"timezone", "Europe/Paris"},
              {"hours", {{"always", true}}},
              {"channels", {{{"type", "email"}, {"value", "duty@cert.example"}}}}};
}

inline constexpr const char* kPassword = "correct horse battery staple";

class NodeTest : public store::testing::BackendTest {
 protected:
  void SetUp() override {
    store::testing::BackendTest::SetUp();
    if (HasFatalFailure()) return;
    std::string tmpl = (std::filesystem::temp_directory_path() / "entente-node-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    opts_.db_url = url();
    opts_.master_key_file = dir_ / "master.key";
    opts_.clock = &clock_;
    api::InitOptions init;
    init.founding_org = OrgInput("Operator CERT", "XA");
    init.operator_password = kPassword;
    auto st = api::Node::Init(opts_, init);
    ASSERT_TRUE(st) << st.error().ToString();
    auto n = api::Node::Open(opts_);
    ASSERT_TRUE(n) << n.error().ToString();
    node_ = std::move(*n);
    auto founding = node_->FoundingOrg();
    ASSERT_TRUE(founding);
    founding_org_ = *founding;
    operator_actor_ = {"", founding_org_};
  }

  void TearDown() override {
    server_.reset();
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    store::testing::BackendTest::TearDown();
  }

  directory::Organisation MakeOrg(const std::string& name, const std::string& country = "FR") {
    auto o = node_->directory().CreateOrg(operator_actor_, OrgInput(name, country));
    EXPECT_TRUE(o) << o.error().ToString();
    return o.value_or(directory::Organisation{});
  }

  auth::User MakeUser(const std::string& org, const std::string& username, auth::Role role,
                      bool op = false) {
    auto u = node_->auth().CreateUser(org, username, username, kPassword, role, op);
    EXPECT_TRUE(u) << u.error().ToString();
    return u.value_or(auth::User{});
  }

  std::string MakeToken(const std::string& user_id,
                        std::vector<std::string> scopes = {"read", "write", "admin"}) {
    auto t = node_->auth().CreateToken(user_id, "test", scopes, 3600 * 1000);
    EXPECT_TRUE(t) << t.error().ToString();
    return t ? t->token : std::string();
  }

  // Starts the HTTP server; returns its base URL.
  std::string Serve() {
    api::Node* n = node_.get();
    server_ = std::make_unique<http::Server>(http::ServerOptions{},
                                             [n](http::Request& r) { return n->Dispatch(r); });
    auto port = server_->Start();
    EXPECT_TRUE(port) << port.error().ToString();
    base_ = "http://127.0.0.1:" + std::to_string(port.value_or(0));
    return base_;
  }

  http::ClientResponse Call(const std::string& method, const std::string& path,
                            const std::string& token = {}, const std::string& body = {},
                            http::Headers extra = {}) {
    http::Headers h = std::move(extra);
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    auto r = http::Send(base_, method, path, body, h);
    EXPECT_TRUE(r) << r.error().ToString();
    return r.value_or(http::ClientResponse{});
  }

  // Rows of every projection table, in a canonical order, as text.
  std::string Snapshot(const std::vector<std::string>& tables) {
    std::string out;
    for (const auto& t : tables) {
      auto rows = node_->db().Query("SELECT * FROM " + t + " ORDER BY 1, 2");
      EXPECT_TRUE(rows) << rows.error().ToString();
      out += "== " + t + "\n";
      for (const auto& r : rows.value_or(store::Rows{})) {
        for (size_t i = 0; i < r.size(); ++i) {
          std::string v = r.Text(i);
          // PostgreSQL tsvector/jsonb render deterministically; keep as is.
          out += (r.IsNull(i) ? std::string("NULL") : v) + "|";
        }
        out += "\n";
      }
    }
    return out;
  }

  ManualClock clock_{1'750'000'000'000};
  std::filesystem::path dir_;
  api::NodeOptions opts_;
  std::unique_ptr<api::Node> node_;
  std::unique_ptr<http::Server> server_;
  std::string base_;
  std::string founding_org_;
  directory::Actor operator_actor_;
};

}  // namespace entente::testing
