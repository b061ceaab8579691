// The signed envelope: the unit of everything Entente records and replicates.
//
//   {v, type, id, origin_node, author_org, created, supersedes?, distribution,
//    tlp, pap?, body | sealed, sig}
//
// `sig` is Ed25519 by the author organisation's key over the RFC 8785
// canonical JSON of all other members. FromJson() is strict (unknown or
// missing members, wrong types, bad enumerations are errors naming the
// member) and is the only way to read an envelope from an untrusted source;
// it does not verify the signature, Verify() does. Value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"

namespace entente::journal {

using Json = nlohmann::json;

enum class DistributionKind { kOrg, kOrgs, kCommunity, kFederation, kPublic };

struct Distribution {
  DistributionKind kind = DistributionKind::kOrg;
  std::vector<std::string> orgs;  // for kOrgs
  std::string community;          // for kCommunity
};

// TLP 2.0 labels, lower case: "clear", "green", "amber", "amber+strict", "red".
bool IsTlp(std::string_view s);
// PAP labels: "clear", "green", "amber", "red".
bool IsPap(std::string_view s);

struct Envelope {
  int v = 1;
  std::string type;  // e.g. "directory.org"
  std::string id;    // UUIDv7
  std::string origin_node;
  std::string author_org;
  Millis created = 0;
  std::optional<std::string> supersedes;
  Distribution distribution;
  std::string tlp = "green";
  std::optional<std::string> pap;
  std::optional<Json> body;    // exactly one of body and sealed
  std::optional<Json> sealed;  // {recipients:[{org,key}], nonce, ciphertext}
  std::string sig;             // base64url Ed25519 signature; empty until signed

  // Set by SignEnvelope, never by FromJson and not serialized: a digest,
  // keyed with a secret of this process, of the bytes signed, the signature
  // and the public key. VerifyEnvelope skips the Ed25519 verification (twice
  // the cost of signing) of a signature this process has just made while the
  // envelope's content, signature and the key asked for are still exactly
  // those; anything else (or a forged digest) is verified as usual.
  std::string signed_here;

  // All members but `sig`.
  Json UnsignedJson() const;
  Json ToJson() const;
  // RFC 8785 canonical form of ToJson() (what the journal stores and hashes).
  Result<std::string> Canonical() const;
  static Result<Envelope> FromJson(const Json& j);
};

// The two canonical byte strings of an envelope: what its signature covers
// (RFC 8785 form of every member but `sig`) and what the journal stores (the
// form of every member, Canonical()). Computed with one canonicalization:
// `sig` sorts between `sealed` and `supersedes`, and every member after it is
// a short string or `v`, so the stored form is the signed form with the `sig`
// member spliced in before that known tail (checked; otherwise computed
// twice). For receivers of many envelopes (federation).
struct CanonicalForms {
  std::string signed_bytes;
  std::string stored;
};
Result<CanonicalForms> CanonicalFormsOf(const Envelope& env);

// Fills `sig`. Fails when the body does not canonicalize.
Status SignEnvelope(Envelope& env, const crypto::SecretBytes& author_secret_key);
// kDataLoss "signature does not verify" when any byte differs.
Status VerifyEnvelope(const Envelope& env, std::span<const std::uint8_t> author_public_key);
// The same with the signed bytes already computed: `signed_bytes` must be
// CanonicalFormsOf(env)->signed_bytes (the caller computed it from `env`).
Status VerifyEnvelope(const Envelope& env, std::string_view signed_bytes,
                      std::span<const std::uint8_t> author_public_key);

std::string_view DistributionKindName(DistributionKind k);

}  // namespace entente::journal
