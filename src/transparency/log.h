// The verifiable record: an append-only Merkle log (RFC 9162) over the
// node's journal. Every envelope is a leaf, in journal order; the leaf hash
// is SHA-256(0x00 || canonical envelope bytes). The log knows no domain
// module: it reads the journal table only.
//
// Signed tree heads {tree_size, root_hash, timestamp, node_id} are signed by
// the node key over their RFC 8785 canonical form. A receipt bundles an
// envelope, its leaf index, an inclusion proof and a signed tree head; it is
// checked offline with VerifyReceipt and the node's public key only.
//
// Thread-safe; several processes may share one PostgreSQL database (Sync
// takes an advisory lock).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "identity/identity.h"
#include "merkle/merkle.h"
#include "store/store.h"

namespace entente::transparency {

using Json = nlohmann::json;

struct SignedTreeHead {
  std::uint64_t tree_size = 0;
  merkle::Hash root{};
  Millis timestamp = 0;
  std::string node_id;
  std::string sig;  // base64url Ed25519

  Json ToJson() const;
  static Result<SignedTreeHead> FromJson(const Json& j);
};

// Checks the signature of a tree head with the node's Ed25519 public key.
Status VerifySth(const SignedTreeHead& sth, std::span<const std::uint8_t> node_public_key);

// Checks a receipt offline: the envelope's canonical bytes give the leaf, the
// proof leads to the tree head's root, and the tree head is signed by the
// node key. kDataLoss / kInvalidArgument say exactly what failed.
Status VerifyReceipt(const Json& receipt, std::span<const std::uint8_t> node_public_key);

struct Problem {
  std::int64_t first_bad_index = -1;  // -1: none
  std::string what;
};

class Log {
 public:
  Log(store::Database& db, const identity::MasterKey& master, identity::NodeInfo node,
      const Clock& clock)
      : db_(db), master_(master), node_(std::move(node)), clock_(clock) {}

  // Appends leaves for journal envelopes not yet in the log.
  Result<std::uint64_t> Sync();
  // Syncs, then signs and stores a tree head if the tree grew; returns the latest.
  Result<SignedTreeHead> Issue();
  Result<std::optional<SignedTreeHead>> Latest();
  Result<Json> Receipt(const std::string& envelope_id);
  Result<std::vector<merkle::Hash>> ConsistencyProof(std::uint64_t first, std::uint64_t second);
  // Recomputes every leaf from the journal and every stored tree head from the
  // leaves; reports the first bad leaf index.
  Result<Problem> Verify();

 private:
  Result<std::vector<merkle::Hash>> Leaves();
  store::Database& db_;
  const identity::MasterKey& master_;
  identity::NodeInfo node_;
  const Clock& clock_;
};

}  // namespace entente::transparency
