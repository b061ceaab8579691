// Keys of the node and of the organisations it hosts.
//
// - MasterKey: 32 random bytes that encrypt every private key at rest. Read
//   from the environment variable ENTENTE_MASTER_KEY (64 hex chars) or from a
//   key file that must have mode 0600 (created by `entente init`).
// - NodeIdentity: the node's Ed25519 key; node id = its fingerprint.
// - OrgKeyStore: per-organisation Ed25519 (signing) and X25519 (encryption)
//   keys; private halves stored encrypted under the master key, bound to the
//   organisation id (as AEAD associated data) so rows cannot be swapped.
//
// Thread-safe: no mutable state beyond the database.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "store/store.h"

namespace entente::identity {

class MasterKey {
 public:
  // Creates a new key file (mode 0600). kAlreadyExists if the file exists.
  static Result<MasterKey> CreateFile(const std::filesystem::path& path);
  // From ENTENTE_MASTER_KEY if set, else from `path`. Refuses a key file
  // readable by group or others.
  static Result<MasterKey> Load(const std::filesystem::path& path);
  static Result<MasterKey> FromHex(std::string_view hex);
  static MasterKey Random();

  Result<std::string> Encrypt(std::span<const std::uint8_t> secret, std::string_view context) const;
  Result<crypto::SecretBytes> Decrypt(std::string_view box_b64, std::string_view context) const;

 private:
  explicit MasterKey(crypto::SecretBytes k) : key_(std::move(k)) {}
  crypto::SecretBytes key_;
};

struct NodeInfo {
  std::string id;  // fingerprint
  std::array<std::uint8_t, 32> public_key{};
  std::string base_url;
};

class NodeIdentity {
 public:
  // Creates the node key (once); kAlreadyExists if the node is initialised.
  static Result<NodeInfo> Create(store::Database& db, const MasterKey& mk,
                                 const std::string& base_url, const Clock& clock);
  // kFailedPrecondition "node is not initialised; run entente init" if absent.
  static Result<NodeInfo> Load(store::Database& db);
  static Result<crypto::SecretBytes> LoadSecret(store::Database& db, const MasterKey& mk);
};

struct OrgPublicKeys {
  std::string sign_public;  // base64url Ed25519
  std::string box_public;   // base64url X25519
};

class OrgKeyStore {
 public:
  OrgKeyStore(store::Database& db, const MasterKey& mk, const Clock& clock)
      : db_(db), mk_(mk), clock_(clock) {}
  // Generates and stores keys for a new organisation (inside `tx`).
  Result<OrgPublicKeys> Generate(store::Tx& tx, const std::string& org_id);
  // Private signing key; kNotFound when this node does not hold the org's keys.
  Result<crypto::SecretBytes> SigningSecret(const std::string& org_id);
  Result<crypto::BoxKeyPair> BoxKeys(const std::string& org_id);
  bool Holds(const std::string& org_id);

 private:
  store::Database& db_;
  const MasterKey& mk_;
  const Clock& clock_;
};

}  // namespace entente::identity
