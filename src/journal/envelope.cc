#include "journal/envelope.h"

#include <sodium.h>

#include <array>
#include <set>

#include "core/ids.h"
#include "jcs/jcs.h"

namespace entente::journal {

namespace {

Result<DistributionKind> ParseKind(std::string_view s) {
  if (s == "org") return DistributionKind::kOrg;
  if (s == "orgs") return DistributionKind::kOrgs;
  if (s == "community") return DistributionKind::kCommunity;
  if (s == "federation") return DistributionKind::kFederation;
  if (s == "public") return DistributionKind::kPublic;
  return Invalid("unknown distribution kind '" + std::string(s) + "'", "distribution.kind");
}

Result<std::string> GetString(const Json& j, const char* key, const std::string& path,
                              size_t max_len = 256) {
  auto it = j.find(key);
  if (it == j.end()) return Invalid("missing", path);
  if (!it->is_string()) return Invalid("must be a string", path);
  const auto& s = it->get_ref<const std::string&>();
  if (s.empty()) return Invalid("must not be empty", path);
  if (s.size() > max_len) return Invalid("longer than " + std::to_string(max_len), path);
  return s;
}

}  // namespace

std::string_view DistributionKindName(DistributionKind k) {
  switch (k) {
    case DistributionKind::kOrg:
      return "org";
    case DistributionKind::kOrgs:
      return "orgs";
    case DistributionKind::kCommunity:
      return "community";
    case DistributionKind::kFederation:
      return "federation";
    case DistributionKind::kPublic:
      return "public";
  }
  return "org";
}

bool IsTlp(std::string_view s) {
  return s == "clear" || s == "green" || s == "amber" || s == "amber+strict" || s == "red";
}
bool IsPap(std::string_view s) {
  return s == "clear" || s == "green" || s == "amber" || s == "red";
}

Json Envelope::UnsignedJson() const {
  Json j = Json::object();
  j["v"] = v;
  j["type"] = type;
  j["id"] = id;
  j["origin_node"] = origin_node;
  j["author_org"] = author_org;
  j["created"] = created;
  if (supersedes) j["supersedes"] = *supersedes;
  Json d = Json::object();
  d["kind"] = std::string(DistributionKindName(distribution.kind));
  if (distribution.kind == DistributionKind::kOrgs) d["orgs"] = distribution.orgs;
  if (distribution.kind == DistributionKind::kCommunity) d["community"] = distribution.community;
  j["distribution"] = d;
  j["tlp"] = tlp;
  if (pap) j["pap"] = *pap;
  if (body) j["body"] = *body;
  if (sealed) j["sealed"] = *sealed;
  return j;
}

Json Envelope::ToJson() const {
  Json j = UnsignedJson();
  j["sig"] = sig;
  return j;
}

Result<std::string> Envelope::Canonical() const { return jcs::Canonicalize(ToJson()); }

Result<CanonicalForms> CanonicalFormsOf(const Envelope& env) {
  CanonicalForms f;
  f.signed_bytes = ENTENTE_TRY(jcs::Canonicalize(env.UnsignedJson()));
  // The members that sort after "sig", as Canonicalize writes them.
  std::string tail;
  if (env.supersedes)
    tail += ",\"supersedes\":" + ENTENTE_TRY(jcs::Canonicalize(Json(*env.supersedes)));
  tail += ",\"tlp\":" + ENTENTE_TRY(jcs::Canonicalize(Json(env.tlp)));
  tail += ",\"type\":" + ENTENTE_TRY(jcs::Canonicalize(Json(env.type)));
  tail += ",\"v\":" + std::to_string(env.v) + "}";
  const std::string& u = f.signed_bytes;
  if (u.size() > tail.size() + 1 && u.ends_with(tail)) {
    std::string sig = ENTENTE_TRY(jcs::Canonicalize(Json(env.sig)));
    f.stored.reserve(u.size() + sig.size() + 7);
    f.stored.append(u, 0, u.size() - tail.size());
    f.stored += ",\"sig\":";
    f.stored += sig;
    f.stored += tail;
  } else {
    f.stored = ENTENTE_TRY(env.Canonical());
  }
  return f;
}

Result<Envelope> Envelope::FromJson(const Json& j) {
  if (!j.is_object()) return Invalid("envelope must be a JSON object");
  static const std::set<std::string> kAllowed = {
      "v",   "type", "id",   "origin_node", "author_org", "created", "supersedes", "distribution",
      "tlp", "pap",  "body", "sealed",      "sig"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!kAllowed.contains(it.key())) return Invalid("unknown member", it.key());
  }
  Envelope e;
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer() || v->get<int64_t>() != 1)
    return Invalid("must be 1", "v");
  e.type = ENTENTE_TRY(GetString(j, "type", "type", 64));
  e.id = ENTENTE_TRY(GetString(j, "id", "id"));
  if (!IsUuid(e.id)) return Invalid("must be a UUID", "id");
  e.origin_node = ENTENTE_TRY(GetString(j, "origin_node", "origin_node"));
  e.author_org = ENTENTE_TRY(GetString(j, "author_org", "author_org"));
  if (!IsUuid(e.author_org)) return Invalid("must be a UUID", "author_org");
  auto c = j.find("created");
  if (c == j.end() || !c->is_number_integer()) return Invalid("must be an integer", "created");
  e.created = c->get<int64_t>();
  if (auto s = j.find("supersedes"); s != j.end()) {
    if (!s->is_string() || !IsUuid(s->get_ref<const std::string&>()))
      return Invalid("must be a UUID", "supersedes");
    e.supersedes = s->get<std::string>();
  }
  auto d = j.find("distribution");
  if (d == j.end() || !d->is_object()) return Invalid("must be an object", "distribution");
  for (auto it = d->begin(); it != d->end(); ++it) {
    if (it.key() != "kind" && it.key() != "orgs" && it.key() != "community")
      return Invalid("unknown member", "distribution." + it.key());
  }
  std::string kind = ENTENTE_TRY(GetString(*d, "kind", "distribution.kind", 16));
  e.distribution.kind = ENTENTE_TRY(ParseKind(kind));
  if (e.distribution.kind == DistributionKind::kOrgs) {
    auto o = d->find("orgs");
    if (o == d->end() || !o->is_array() || o->empty())
      return Invalid("must be a non-empty array", "distribution.orgs");
    for (const auto& x : *o) {
      if (!x.is_string() || !IsUuid(x.get_ref<const std::string&>()))
        return Invalid("must hold organisation ids", "distribution.orgs");
      e.distribution.orgs.push_back(x.get<std::string>());
    }
  } else if (d->contains("orgs")) {
    return Invalid("only for kind 'orgs'", "distribution.orgs");
  }
  if (e.distribution.kind == DistributionKind::kCommunity) {
    e.distribution.community = ENTENTE_TRY(GetString(*d, "community", "distribution.community"));
  } else if (d->contains("community")) {
    return Invalid("only for kind 'community'", "distribution.community");
  }
  e.tlp = ENTENTE_TRY(GetString(j, "tlp", "tlp", 16));
  if (!IsTlp(e.tlp)) return Invalid("not a TLP 2.0 label", "tlp");
  if (auto p = j.find("pap"); p != j.end()) {
    if (!p->is_string() || !IsPap(p->get_ref<const std::string&>()))
      return Invalid("not a PAP label", "pap");
    e.pap = p->get<std::string>();
  }
  bool has_body = j.contains("body"), has_sealed = j.contains("sealed");
  if (has_body == has_sealed) return Invalid("exactly one of body and sealed is required", "body");
  if (has_body) e.body = j.at("body");
  if (has_sealed) {
    if (!j.at("sealed").is_object()) return Invalid("must be an object", "sealed");
    e.sealed = j.at("sealed");
  }
  e.sig = ENTENTE_TRY(GetString(j, "sig", "sig", 128));
  return e;
}

namespace {

// A digest of (signed bytes, signature, public key) under a random key of
// this process, which nothing outside this file can read.
std::string SignedHereDigest(std::string_view msg, std::string_view sig,
                             std::span<const std::uint8_t> public_key) {
  static const auto kProcessKey = [] {
    std::array<unsigned char, crypto_generichash_KEYBYTES> k{};
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  crypto_generichash_state st;
  crypto_generichash_init(&st, kProcessKey.data(), kProcessKey.size(), crypto_generichash_BYTES);
  const std::uint64_t lengths[2] = {msg.size(), sig.size()};
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(lengths), sizeof lengths);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  crypto_generichash_update(&st, public_key.data(), public_key.size());
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash_final(&st, reinterpret_cast<unsigned char*>(out.data()), out.size());
  return out;
}

}  // namespace

Status SignEnvelope(Envelope& env, const crypto::SecretBytes& author_secret_key) {
  std::string msg = ENTENTE_TRY(jcs::Canonicalize(env.UnsignedJson()));
  auto sig = ENTENTE_TRY(crypto::Sign(author_secret_key, crypto::AsBytes(msg)));
  env.sig = crypto::Base64UrlEncode(sig);
  // libsodium's Ed25519 secret key is seed || public key.
  if (author_secret_key.size() == crypto_sign_SECRETKEYBYTES) {
    env.signed_here = SignedHereDigest(
        msg, env.sig,
        std::span<const std::uint8_t>(author_secret_key.data() + crypto_sign_SEEDBYTES,
                                      crypto_sign_PUBLICKEYBYTES));
  }
  return Ok();
}

Status VerifyEnvelope(const Envelope& env, std::span<const std::uint8_t> author_public_key) {
  auto msg = jcs::Canonicalize(env.UnsignedJson());
  if (!msg) return std::unexpected(msg.error());
  return VerifyEnvelope(env, *msg, author_public_key);
}

Status VerifyEnvelope(const Envelope& env, std::string_view msg,
                      std::span<const std::uint8_t> author_public_key) {
  auto sig = crypto::Base64UrlDecode(env.sig);
  if (!sig) return Fail(ErrorCode::kDataLoss, "signature is not base64url", "sig");
  if (env.signed_here.size() == crypto_generichash_BYTES &&
      sodium_memcmp(env.signed_here.data(),
                    SignedHereDigest(msg, env.sig, author_public_key).data(),
                    crypto_generichash_BYTES) == 0) {
    return Ok();  // signed by this process, with this key, over these bytes
  }
  if (!crypto::Verify(author_public_key, crypto::AsBytes(msg), *sig))
    return Fail(ErrorCode::kDataLoss,
                "signature does not verify for envelope " + env.id + " by " + env.author_org,
                "sig");
  return Ok();
}

}  // namespace entente::journal
