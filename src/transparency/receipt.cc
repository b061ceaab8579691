#include "transparency/receipt.h"

#include <initializer_list>

#include "jcs/jcs.h"
#include "journal/envelope.h"

namespace entente::transparency {

namespace {

// Rejects members outside `allowed` and reports the first missing one.
Status Members(const Json& j, const std::string& field,
               std::initializer_list<const char*> allowed) {
  if (!j.is_object())
    return Invalid("must be a JSON object", field.empty() ? std::string("receipt") : field);
  auto name = [&](const std::string& k) { return field.empty() ? k : field + "." + k; };
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* a : allowed) known = known || it.key() == a;
    if (!known) return Invalid("unknown member", name(it.key()));
  }
  for (const char* a : allowed)
    if (!j.contains(a)) return Invalid("is missing", name(a));
  return Ok();
}

Result<std::uint64_t> JsonSize(const Json& v, const std::string& field) {
  // Parsed non-negative integers are unsigned; ones built in memory may not be.
  bool ok = v.is_number_unsigned()
                ? v.get<std::uint64_t>() <= kMaxJsonInteger
                : v.is_number_integer() && v.get<std::int64_t>() >= 0 &&
                      static_cast<std::uint64_t>(v.get<std::int64_t>()) <= kMaxJsonInteger;
  if (!ok) return Invalid("must be an integer from 0 to 2^53 - 1", field);
  return v.get<std::uint64_t>();
}

Result<std::string> JsonString(const Json& v, const std::string& field, size_t max) {
  if (!v.is_string() || v.get_ref<const std::string&>().size() > max)
    return Invalid("must be a string of at most " + std::to_string(max) + " bytes", field);
  return v.get<std::string>();
}

}  // namespace

std::string HashHex(const Hash& h) { return crypto::HexEncode(h); }

Result<Hash> HashFromHex(std::string_view hex, const std::string& field) {
  if (hex.size() != 64) return Invalid("must be 64 hexadecimal digits (a SHA-256 hash)", field);
  auto b = crypto::HexDecode(hex);
  if (!b || b->size() != 32)
    return Invalid("must be 64 hexadecimal digits (a SHA-256 hash)", field);
  Hash h;
  std::copy(b->begin(), b->end(), h.begin());
  return h;
}

Json SignedTreeHead::SignedPart() const {
  return Json{{"tree_size", tree_size},
              {"root_hash", HashHex(root_hash)},
              {"timestamp", timestamp},
              {"node_id", node_id}};
}

Json SignedTreeHead::ToJson() const {
  Json j = SignedPart();
  j["signature"] = signature;
  return j;
}

Result<SignedTreeHead> SignedTreeHead::FromJson(const Json& j, const std::string& field) {
  ENTENTE_CHECK(Members(j, field, {"tree_size", "root_hash", "timestamp", "node_id", "signature"}));
  auto name = [&](const char* k) { return field.empty() ? std::string(k) : field + "." + k; };
  SignedTreeHead s;
  s.tree_size = ENTENTE_TRY(JsonSize(j["tree_size"], name("tree_size")));
  s.root_hash = ENTENTE_TRY(HashFromHex(
      ENTENTE_TRY(JsonString(j["root_hash"], name("root_hash"), 64)), name("root_hash")));
  s.timestamp = static_cast<Millis>(ENTENTE_TRY(JsonSize(j["timestamp"], name("timestamp"))));
  s.node_id = ENTENTE_TRY(JsonString(j["node_id"], name("node_id"), 64));
  s.signature = ENTENTE_TRY(JsonString(j["signature"], name("signature"), 128));
  return s;
}

Result<SignedTreeHead> SignTreeHead(std::uint64_t tree_size, const Hash& root_hash,
                                    Millis timestamp, std::span<const std::uint8_t> node_public_key,
                                    const crypto::SecretBytes& node_secret_key) {
  SignedTreeHead s;
  s.tree_size = tree_size;
  s.root_hash = root_hash;
  s.timestamp = timestamp;
  s.node_id = crypto::Fingerprint(node_public_key);
  std::string msg = ENTENTE_TRY(jcs::Canonicalize(s.SignedPart()));
  auto sig = ENTENTE_TRY(crypto::Sign(node_secret_key, crypto::AsBytes(msg)));
  s.signature = crypto::Base64UrlEncode(sig);
  return s;
}

Status VerifyTreeHead(const SignedTreeHead& sth, std::span<const std::uint8_t> node_public_key) {
  if (crypto::Fingerprint(node_public_key) != sth.node_id)
    return Fail(ErrorCode::kDataLoss,
                "the tree head names node " + sth.node_id + ", not the node of this key",
                "sth.node_id");
  std::string msg = ENTENTE_TRY(jcs::Canonicalize(sth.SignedPart()));
  auto sig = crypto::Base64UrlDecode(sth.signature);
  if (!sig || !crypto::Verify(node_public_key, crypto::AsBytes(msg), *sig))
    return Fail(ErrorCode::kDataLoss, "the tree head's signature does not verify", "sth.signature");
  return Ok();
}

Json Receipt::ToJson() const {
  Json proof = Json::array();
  for (const Hash& h : inclusion_proof) proof.push_back(HashHex(h));
  return Json{{"envelope", envelope},
              {"leaf_index", leaf_index},
              {"leaf_hash", HashHex(leaf_hash)},
              {"inclusion_proof", proof},
              {"sth", sth.ToJson()},
              {"node_public_key", crypto::Base64UrlEncode(node_public_key)}};
}

Result<Receipt> Receipt::FromJson(const Json& j) {
  ENTENTE_CHECK(Members(
      j, "", {"envelope", "leaf_index", "leaf_hash", "inclusion_proof", "sth", "node_public_key"}));
  Receipt r;
  if (!j["envelope"].is_object()) return Invalid("must be a JSON object", "envelope");
  r.envelope = j["envelope"];
  r.leaf_index = ENTENTE_TRY(JsonSize(j["leaf_index"], "leaf_index"));
  r.leaf_hash = ENTENTE_TRY(
      HashFromHex(ENTENTE_TRY(JsonString(j["leaf_hash"], "leaf_hash", 64)), "leaf_hash"));
  const Json& proof = j["inclusion_proof"];
  if (!proof.is_array() || proof.size() > kMaxProofLength)
    return Invalid("must be an array of at most 64 hashes", "inclusion_proof");
  for (size_t i = 0; i < proof.size(); ++i) {
    std::string field = "inclusion_proof[" + std::to_string(i) + "]";
    r.inclusion_proof.push_back(
        ENTENTE_TRY(HashFromHex(ENTENTE_TRY(JsonString(proof[i], field, 64)), field)));
  }
  r.sth = ENTENTE_TRY(SignedTreeHead::FromJson(j["sth"], "sth"));
  std::string key = ENTENTE_TRY(JsonString(j["node_public_key"], "node_public_key", 64));
  auto raw = crypto::Base64UrlDecode(key);
  if (!raw || raw->size() != r.node_public_key.size())
    return Invalid("must be a base64url Ed25519 public key (32 bytes)", "node_public_key");
  std::copy(raw->begin(), raw->end(), r.node_public_key.begin());
  return r;
}

Result<Receipt> ParseReceipt(std::string_view text) {
  // The limits of the journal: a receipt must hold any envelope it recorded.
  Json j = ENTENTE_TRY(jcs::ParseUntrusted(text, {.max_bytes = 64u << 20,
                                                  .max_depth = 64,
                                                  .max_string_bytes = 64u << 20,
                                                  .max_elements = 10'000'000}));
  return Receipt::FromJson(j);
}

Result<VerifiedReceipt> VerifyReceipt(const Receipt& r,
                                      std::span<const std::uint8_t> node_public_key) {
  if (!std::equal(node_public_key.begin(), node_public_key.end(), r.node_public_key.begin(),
                  r.node_public_key.end()))
    return Fail(ErrorCode::kDataLoss,
                "the receipt is from another node: its node_public_key is not the key given",
                "node_public_key");
  ENTENTE_CHECK(VerifyTreeHead(r.sth, node_public_key));
  auto env = journal::Envelope::FromJson(r.envelope);
  if (!env) {
    Error e = env.error();
    e.code = ErrorCode::kDataLoss;
    e.message = "the envelope is not a well-formed envelope: " + e.message;
    e.field = e.field.empty() ? "envelope" : "envelope." + e.field;
    return std::unexpected(e);
  }
  std::string canonical = ENTENTE_TRY(env->Canonical());
  if (ENTENTE_TRY(jcs::Canonicalize(r.envelope)) != canonical)
    return Fail(ErrorCode::kDataLoss, "the envelope is not in the form the journal records",
                "envelope");
  Hash leaf = LeafHash(crypto::AsBytes(canonical));
  if (leaf != r.leaf_hash)
    return Fail(ErrorCode::kDataLoss,
                "leaf_hash is not SHA-256(0x00 || canonical envelope); the envelope was changed",
                "leaf_hash");
  auto st =
      VerifyInclusion(leaf, r.leaf_index, r.sth.tree_size, r.inclusion_proof, r.sth.root_hash);
  if (!st)
    return Fail(ErrorCode::kDataLoss,
                "the envelope is not in the signed tree: " + st.error().message, "inclusion_proof");
  return VerifiedReceipt{.envelope_id = env->id,
                         .envelope_type = env->type,
                         .author_org = env->author_org,
                         .created = env->created,
                         .leaf_index = r.leaf_index,
                         .tree_size = r.sth.tree_size,
                         .tree_head_timestamp = r.sth.timestamp,
                         .node_id = r.sth.node_id};
}

}  // namespace entente::transparency
