// Properties of what a node keeps on disk and of several node processes on
// one database.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "api/node_fixture.h"

namespace entente::testing {
namespace {

class StorageSecurityTest : public NodeTest {
 protected:
  // Every value of every row of every table, as text.
  std::string DumpAll() {
    std::string out;
    std::vector<std::string> tables = {"node",  "org_keys", "orgs",       "pocs",   "poc_keys",
                                       "users", "sessions", "api_tokens", "journal"};
    for (const auto& t : tables) {
      auto rows = node_->db().Query("SELECT * FROM " + t);
      EXPECT_TRUE(rows) << t;
      for (const auto& r : rows.value_or(store::Rows{}))
        for (size_t i = 0; i < r.size(); ++i) out += r.Text(i) + "\n";
    }
    return out;
  }
};

TEST_P(StorageSecurityTest, PrivateKeysAndSecretsAreNeverStoredInClear) {
  auto org = MakeOrg("CERT Keys");
  auto user = MakeUser(org.id, "keys-admin", auth::Role::kAdmin);
  std::string token = MakeToken(user.id);
  identity::MasterKey mk = *identity::MasterKey::Load(opts_.master_key_file);
  identity::OrgKeyStore keys(node_->db(), mk, clock_);
  auto secret = keys.SigningSecret(org.id);
  ASSERT_TRUE(secret);
  auto box = keys.BoxKeys(org.id);
  ASSERT_TRUE(box);
  auto node_secret = identity::NodeIdentity::LoadSecret(node_->db(), mk);
  ASSERT_TRUE(node_secret);
  std::string dump = DumpAll();
  auto encodings = [](const crypto::SecretBytes& s) {
    std::span<const std::uint8_t> b(s.data(), s.size());
    return std::vector<std::string>{crypto::HexEncode(b), crypto::Base64UrlEncode(b),
                                    std::string(b.begin(), b.end())};
  };
  for (const auto* s : {&*secret, &box->secret_key, &*node_secret})
    for (const auto& e : encodings(*s)) EXPECT_EQ(dump.find(e), std::string::npos);
  EXPECT_EQ(dump.find(token), std::string::npos);
  EXPECT_EQ(dump.find(kPassword), std::string::npos);
  // On SQLite, the database files themselves (main file and WAL).
  if (backend() == store::Backend::kSqlite) {
    std::string file = url().substr(std::string("sqlite:").size());
    for (const auto& path : {file, file + "-wal"}) {
      std::ifstream in(path, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string bytes = ss.str();
      for (const auto* s : {&*secret, &box->secret_key, &*node_secret})
        for (const auto& e : encodings(*s)) EXPECT_EQ(bytes.find(e), std::string::npos) << path;
      EXPECT_EQ(bytes.find(token), std::string::npos);
    }
  }
}

// Several `entente serve` processes on one database behave as one node:
// writes from each are visible to the other, and the journal stays gapless.
TEST_P(StorageSecurityTest, TwoNodeProcessesOnOneDatabase) {
  auto second = api::Node::Open(opts_);
  ASSERT_TRUE(second) << second.error().ToString();
  auto org = MakeOrg("CERT Shared");
  constexpr int kPerWriter = 15;
  auto writer = [&](api::Node* n, const std::string& prefix) {
    for (int i = 0; i < kPerWriter; ++i) {
      auto p =
          n->directory().CreatePoc(operator_actor_, org.id, PocInput(prefix + std::to_string(i)));
      EXPECT_TRUE(p) << p.error().ToString();
    }
  };
  std::thread a(writer, node_.get(), "first ");
  std::thread b(writer, second->get(), "second ");
  a.join();
  b.join();
  auto from_second = (*second)->directory().SearchPocs({.org = org.id, .limit = 200});
  ASSERT_TRUE(from_second);
  EXPECT_EQ(from_second->items.size(), 2u * kPerWriter);
  auto seqs = node_->db().Query("SELECT seq FROM journal ORDER BY seq");
  ASSERT_TRUE(seqs);
  for (size_t i = 0; i < seqs->size(); ++i)
    EXPECT_EQ(seqs->at(i).Int(0), static_cast<std::int64_t>(i + 1));
}

ENTENTE_INSTANTIATE_BACKENDS(StorageSecurityTest);

}  // namespace
}  // namespace entente::testing
