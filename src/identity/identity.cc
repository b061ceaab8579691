#include "identity/identity.h"

#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace entente::identity {

namespace fs = std::filesystem;

Result<MasterKey> MasterKey::FromHex(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
    hex.remove_suffix(1);
  auto bytes = crypto::HexDecode(hex);
  if (!bytes || bytes->size() != crypto::kSymmetricKeyBytes)
    return Invalid("master key must be 64 hexadecimal characters");
  crypto::SecretBytes k(bytes->data(), bytes->size());
  sodium_memzero(bytes->data(), bytes->size());
  return MasterKey(std::move(k));
}

MasterKey MasterKey::Random() { return MasterKey(crypto::GenerateSymmetricKey()); }

Result<MasterKey> MasterKey::CreateFile(const fs::path& path) {
  if (fs::exists(path))
    return Fail(ErrorCode::kAlreadyExists, "master key file " + path.string() + " already exists");
  crypto::SecretBytes k = crypto::GenerateSymmetricKey();
  std::string hex = crypto::HexEncode({k.data(), k.size()});
  mode_t old = umask(077);
  {
    std::ofstream out(path, std::ios::out | std::ios::trunc);
    umask(old);
    if (!out) return Fail(ErrorCode::kUnavailable, "cannot write " + path.string());
    out << hex << "\n";
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  sodium_memzero(hex.data(), hex.size());
  return MasterKey(std::move(k));
}

Result<MasterKey> MasterKey::Load(const fs::path& path) {
  if (const char* env = std::getenv("ENTENTE_MASTER_KEY"); env && *env) return FromHex(env);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    return Fail(ErrorCode::kFailedPrecondition, "no master key: set ENTENTE_MASTER_KEY or create " +
                                                    path.string() + " with entente init");
  if ((st.st_mode & 077) != 0)
    return Fail(ErrorCode::kPermissionDenied,
                "master key file " + path.string() +
                    " must not be readable by group or others (chmod 600)");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string hex = ss.str();
  auto mk = FromHex(hex);
  sodium_memzero(hex.data(), hex.size());
  if (!mk) return Invalid("master key file " + path.string() + ": " + mk.error().message);
  return mk;
}

Result<std::string> MasterKey::Encrypt(std::span<const std::uint8_t> secret,
                                       std::string_view context) const {
  auto box = ENTENTE_TRY(crypto::EncryptAtRest(key_, secret, crypto::AsBytes(context)));
  return crypto::Base64UrlEncode(box);
}

Result<crypto::SecretBytes> MasterKey::Decrypt(std::string_view box_b64,
                                               std::string_view context) const {
  auto box = crypto::Base64UrlDecode(box_b64);
  if (!box) return Fail(ErrorCode::kDataLoss, "encrypted key is not base64url");
  auto out = crypto::DecryptAtRest(key_, *box, crypto::AsBytes(context));
  if (!out)
    return Fail(ErrorCode::kDataLoss,
                "cannot decrypt a private key: wrong master key or altered row (" +
                    std::string(context) + ")");
  return out;
}

Result<NodeInfo> NodeIdentity::Create(store::Database& db, const MasterKey& mk,
                                      const std::string& base_url, const Clock& clock) {
  auto existing = ENTENTE_TRY(db.Query("SELECT id FROM node"));
  if (!existing.empty()) return Fail(ErrorCode::kAlreadyExists, "node is already initialised");
  crypto::SigningKeyPair kp = crypto::GenerateSigningKey();
  NodeInfo info;
  info.id = crypto::Fingerprint(kp.public_key);
  info.public_key = kp.public_key;
  info.base_url = base_url;
  std::string enc = ENTENTE_TRY(mk.Encrypt({kp.secret_key.data(), kp.secret_key.size()}, "node"));
  ENTENTE_CHECK(db.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec(
        "INSERT INTO node (id, sign_public, sign_secret_enc, base_url, created) VALUES (?,?,?,?,?)",
        {info.id, crypto::Base64UrlEncode(kp.public_key), enc, base_url, clock.NowMillis()}));
    return Ok();
  }));
  return info;
}

Result<NodeInfo> NodeIdentity::Load(store::Database& db) {
  auto rows = ENTENTE_TRY(db.Query("SELECT id, sign_public, base_url FROM node"));
  if (rows.empty())
    return Fail(ErrorCode::kFailedPrecondition, "node is not initialised; run entente init");
  NodeInfo info;
  info.id = rows[0].Text(0);
  auto pk = crypto::Base64UrlDecode(rows[0].Text(1));
  if (!pk || pk->size() != 32) return Fail(ErrorCode::kDataLoss, "node public key is corrupt");
  std::copy(pk->begin(), pk->end(), info.public_key.begin());
  if (crypto::Fingerprint(info.public_key) != info.id)
    return Fail(ErrorCode::kDataLoss, "node id does not match its public key");
  info.base_url = rows[0].Text(2);
  return info;
}

Result<crypto::SecretBytes> NodeIdentity::LoadSecret(store::Database& db, const MasterKey& mk) {
  auto rows = ENTENTE_TRY(db.Query("SELECT sign_secret_enc FROM node"));
  if (rows.empty())
    return Fail(ErrorCode::kFailedPrecondition, "node is not initialised; run entente init");
  return mk.Decrypt(rows[0].Text(0), "node");
}

Result<OrgPublicKeys> OrgKeyStore::Generate(store::Tx& tx, const std::string& org_id) {
  crypto::SigningKeyPair sk = crypto::GenerateSigningKey();
  crypto::BoxKeyPair bk = crypto::GenerateBoxKey();
  OrgPublicKeys pub{crypto::Base64UrlEncode(sk.public_key), crypto::Base64UrlEncode(bk.public_key)};
  std::string s_enc =
      ENTENTE_TRY(mk_.Encrypt({sk.secret_key.data(), sk.secret_key.size()}, "org-sign:" + org_id));
  std::string b_enc =
      ENTENTE_TRY(mk_.Encrypt({bk.secret_key.data(), bk.secret_key.size()}, "org-box:" + org_id));
  ENTENTE_TRY(tx.Exec(
      "INSERT INTO org_keys (org_id, sign_public, sign_secret_enc, box_public, box_secret_enc, "
      "created) VALUES (?,?,?,?,?,?)",
      {org_id, pub.sign_public, s_enc, pub.box_public, b_enc, clock_.NowMillis()}));
  return pub;
}

Result<crypto::SecretBytes> OrgKeyStore::SigningSecret(const std::string& org_id) {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT sign_secret_enc FROM org_keys WHERE org_id = ?", {org_id}));
  if (rows.empty())
    return Fail(ErrorCode::kNotFound, "this node holds no signing key for organisation " + org_id);
  return mk_.Decrypt(rows[0].Text(0), "org-sign:" + org_id);
}

Result<crypto::BoxKeyPair> OrgKeyStore::BoxKeys(const std::string& org_id) {
  auto rows = ENTENTE_TRY(
      db_.Query("SELECT box_public, box_secret_enc FROM org_keys WHERE org_id = ?", {org_id}));
  if (rows.empty())
    return Fail(ErrorCode::kNotFound,
                "this node holds no encryption key for organisation " + org_id);
  crypto::BoxKeyPair kp;
  auto pk = crypto::Base64UrlDecode(rows[0].Text(0));
  if (!pk || pk->size() != 32) return Fail(ErrorCode::kDataLoss, "box public key is corrupt");
  std::copy(pk->begin(), pk->end(), kp.public_key.begin());
  kp.secret_key = ENTENTE_TRY(mk_.Decrypt(rows[0].Text(1), "org-box:" + org_id));
  return kp;
}

bool OrgKeyStore::Holds(const std::string& org_id) {
  auto rows = db_.Query("SELECT 1 FROM org_keys WHERE org_id = ?", {org_id});
  return rows && !rows->empty();
}

}  // namespace entente::identity
