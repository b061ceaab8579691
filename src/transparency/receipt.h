// What the log hands out and anyone can check offline, with nothing but the
// node's Ed25519 public key: signed tree heads and receipts.
//
// Signed tree head (JSON):
//   {tree_size, root_hash (hex), timestamp (UTC ms), node_id, signature}
// `signature` is Ed25519 by the node key (base64url) over the RFC 8785
// canonical JSON of the four other members; node_id is the key's
// fingerprint (hex SHA-256 of the public key).
//
// Receipt (JSON), what `entente verify receipt` reads:
//   {envelope, leaf_index, leaf_hash, inclusion_proof: [hex...], sth,
//    node_public_key}
// `envelope` is the signed envelope as the journal records it; its RFC 8785
// canonical bytes are the leaf: leaf_hash = SHA-256(0x00 || bytes).
//
// Decoding is strict and bounded (unknown or missing members, wrong types,
// bad hex, over-long proofs are kInvalidArgument naming the member); failed
// checks are kDataLoss saying what failed. Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "transparency/merkle.h"

namespace entente::transparency {

using Json = nlohmann::json;

// Longest proof accepted: a tree of 2^64 leaves has 64 levels.
inline constexpr size_t kMaxProofLength = 64;
// Sizes and times are JSON numbers; RFC 8785 keeps integers exact to 2^53.
inline constexpr std::uint64_t kMaxJsonInteger = (std::uint64_t{1} << 53) - 1;

std::string HashHex(const Hash& h);
// 64 lower- or upper-case hex digits. kInvalidArgument naming `field`.
Result<Hash> HashFromHex(std::string_view hex, const std::string& field);

struct SignedTreeHead {
  std::uint64_t tree_size = 0;
  Hash root_hash{};
  Millis timestamp = 0;
  std::string node_id;
  std::string signature;  // base64url Ed25519

  // The signed members: everything but `signature`.
  Json SignedPart() const;
  Json ToJson() const;
  // `field` prefixes member names in errors ("sth.tree_size").
  static Result<SignedTreeHead> FromJson(const Json& j, const std::string& field = "sth");
  bool operator==(const SignedTreeHead&) const = default;
};

// Fills node_id and signature with the node's key pair.
Result<SignedTreeHead> SignTreeHead(std::uint64_t tree_size, const Hash& root_hash,
                                    Millis timestamp, std::span<const std::uint8_t> node_public_key,
                                    const crypto::SecretBytes& node_secret_key);
// The key's fingerprint must be node_id and the signature must verify.
Status VerifyTreeHead(const SignedTreeHead& sth, std::span<const std::uint8_t> node_public_key);

struct Receipt {
  Json envelope;  // the signed envelope, as recorded
  std::uint64_t leaf_index = 0;
  Hash leaf_hash{};
  std::vector<Hash> inclusion_proof;
  SignedTreeHead sth;
  std::array<std::uint8_t, crypto::kSignPublicKeyBytes> node_public_key{};

  Json ToJson() const;
  static Result<Receipt> FromJson(const Json& j);
  bool operator==(const Receipt&) const = default;
};

// Parses receipt text: bounded JSON (what the journal accepts), then FromJson.
Result<Receipt> ParseReceipt(std::string_view text);

// What a verified receipt establishes, for printing.
struct VerifiedReceipt {
  std::string envelope_id;
  std::string envelope_type;
  std::string author_org;
  Millis created = 0;
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  Millis tree_head_timestamp = 0;
  std::string node_id;
};

// Checks, in order: `node_public_key` is the receipt's node key and its
// fingerprint the tree head's node_id; the tree head's signature; the
// envelope is a well-formed envelope whose canonical bytes are what the
// journal records; leaf_hash = SHA-256(0x00 || those bytes); the inclusion
// proof leads from the leaf to the tree head's root. Does not check the
// author organisation's signature on the envelope (that needs its key).
Result<VerifiedReceipt> VerifyReceipt(const Receipt& receipt,
                                      std::span<const std::uint8_t> node_public_key);

}  // namespace entente::transparency
