#include "transparency/log.h"

#include "crypto/crypto.h"
#include "jcs/jcs.h"

namespace entente::transparency {

namespace {

std::string Hex(const merkle::Hash& h) { return crypto::HexEncode(h); }

Result<merkle::Hash> FromHex(const std::string& s, const std::string& field) {
  auto b = crypto::HexDecode(s);
  if (!b || b->size() != 32) return Invalid("must be 64 hexadecimal characters", field);
  merkle::Hash h;
  std::copy(b->begin(), b->end(), h.begin());
  return h;
}

Json UnsignedSth(const SignedTreeHead& s) {
  return Json{{"tree_size", s.tree_size},
              {"root_hash", Hex(s.root)},
              {"timestamp", s.timestamp},
              {"node_id", s.node_id}};
}

merkle::Hash LeafOf(const std::string& canonical) {
  return merkle::LeafHash(crypto::AsBytes(canonical));
}

}  // namespace

Json SignedTreeHead::ToJson() const {
  Json j = UnsignedSth(*this);
  j["sig"] = sig;
  return j;
}

Result<SignedTreeHead> SignedTreeHead::FromJson(const Json& j) {
  if (!j.is_object()) return Invalid("must be an object", "sth");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "tree_size" && it.key() != "root_hash" && it.key() != "timestamp" &&
        it.key() != "node_id" && it.key() != "sig")
      return Invalid("unknown member", "sth." + it.key());
  SignedTreeHead s;
  if (!j.contains("tree_size") || !j["tree_size"].is_number_unsigned())
    return Invalid("must be a non-negative integer", "sth.tree_size");
  s.tree_size = j["tree_size"].get<std::uint64_t>();
  if (!j.contains("root_hash") || !j["root_hash"].is_string())
    return Invalid("must be a string", "sth.root_hash");
  s.root = ENTENTE_TRY(FromHex(j["root_hash"].get<std::string>(), "sth.root_hash"));
  if (!j.contains("timestamp") || !j["timestamp"].is_number_integer())
    return Invalid("must be an integer", "sth.timestamp");
  s.timestamp = j["timestamp"].get<std::int64_t>();
  if (!j.contains("node_id") || !j["node_id"].is_string())
    return Invalid("must be a string", "sth.node_id");
  s.node_id = j["node_id"].get<std::string>();
  if (!j.contains("sig") || !j["sig"].is_string()) return Invalid("must be a string", "sth.sig");
  s.sig = j["sig"].get<std::string>();
  return s;
}

Status VerifySth(const SignedTreeHead& sth, std::span<const std::uint8_t> node_public_key) {
  if (crypto::Fingerprint(node_public_key) != sth.node_id)
    return Fail(ErrorCode::kDataLoss, "the tree head names another node than this key",
                "sth.node_id");
  auto msg = ENTENTE_TRY(jcs::Canonicalize(UnsignedSth(sth)));
  auto sig = crypto::Base64UrlDecode(sth.sig);
  if (!sig || !crypto::Verify(node_public_key, crypto::AsBytes(msg), *sig))
    return Fail(ErrorCode::kDataLoss, "the tree head's signature does not verify", "sth.sig");
  return Ok();
}

Status VerifyReceipt(const Json& r, std::span<const std::uint8_t> node_public_key) {
  if (!r.is_object()) return Invalid("a receipt is a JSON object");
  for (const char* k : {"envelope", "leaf_index", "proof", "sth"})
    if (!r.contains(k)) return Invalid("missing", k);
  if (!r["envelope"].is_object()) return Invalid("must be an object", "envelope");
  if (!r["leaf_index"].is_number_unsigned()) return Invalid("must be an integer", "leaf_index");
  if (!r["proof"].is_array() || r["proof"].size() > 64) return Invalid("must be an array", "proof");
  SignedTreeHead sth = ENTENTE_TRY(SignedTreeHead::FromJson(r["sth"]));
  ENTENTE_CHECK(VerifySth(sth, node_public_key));
  std::vector<merkle::Hash> proof;
  for (const auto& p : r["proof"]) {
    if (!p.is_string()) return Invalid("must hold hex hashes", "proof");
    proof.push_back(ENTENTE_TRY(FromHex(p.get<std::string>(), "proof")));
  }
  std::string canonical = ENTENTE_TRY(jcs::Canonicalize(r["envelope"]));
  merkle::Hash leaf = LeafOf(canonical);
  auto st = merkle::VerifyInclusion(leaf, r["leaf_index"].get<std::uint64_t>(), sth.tree_size,
                                    proof, sth.root);
  if (!st)
    return Fail(ErrorCode::kDataLoss,
                "the envelope is not in the signed tree: " + st.error().message, "proof");
  return Ok();
}

Result<std::uint64_t> Log::Sync() {
  std::uint64_t size = 0;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    if (db_.backend() == store::Backend::kPostgres)
      ENTENTE_TRY(tx.Query("SELECT pg_advisory_xact_lock(7362)"));
    auto last = ENTENTE_TRY(
        tx.Query("SELECT COALESCE(MAX(idx), -1), COALESCE(MAX(seq), 0) FROM log_leaves"));
    std::int64_t idx = last[0].Int(0), seq = last[0].Int(1);
    for (;;) {
      auto rows = ENTENTE_TRY(tx.Query(
          "SELECT seq, envelope FROM journal WHERE seq > ? ORDER BY seq LIMIT 1000", {seq}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        ++idx;
        seq = r.Int(0);
        ENTENTE_TRY(tx.Exec("INSERT INTO log_leaves (idx, seq, hash) VALUES (?, ?, ?)",
                            {idx, seq, Hex(LeafOf(r.Text(1)))}));
      }
    }
    size = static_cast<std::uint64_t>(idx + 1);
    return Ok();
  }));
  return size;
}

Result<std::vector<merkle::Hash>> Log::Leaves() {
  auto rows = ENTENTE_TRY(db_.Query("SELECT idx, hash FROM log_leaves ORDER BY idx"));
  std::vector<merkle::Hash> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    if (r.Int(0) != static_cast<std::int64_t>(out.size()))
      return Fail(ErrorCode::kDataLoss, "log leaf " + std::to_string(out.size()) + " is missing");
    out.push_back(ENTENTE_TRY(FromHex(r.Text(1), "hash")));
  }
  return out;
}

Result<std::optional<SignedTreeHead>> Log::Latest() {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT tree_size, root, timestamp, sig FROM log_sths ORDER BY tree_size DESC LIMIT 1"));
  if (rows.empty()) return std::optional<SignedTreeHead>{};
  SignedTreeHead s;
  s.tree_size = static_cast<std::uint64_t>(rows[0].Int(0));
  s.root = ENTENTE_TRY(FromHex(rows[0].Text(1), "root"));
  s.timestamp = rows[0].Int(2);
  s.node_id = node_.id;
  s.sig = rows[0].Text(3);
  return std::optional<SignedTreeHead>(s);
}

Result<SignedTreeHead> Log::Issue() {
  std::uint64_t size = ENTENTE_TRY(Sync());
  auto latest = ENTENTE_TRY(Latest());
  if (latest && latest->tree_size == size) return *latest;
  auto leaves = ENTENTE_TRY(Leaves());
  leaves.resize(size);
  SignedTreeHead s;
  s.tree_size = size;
  s.root = merkle::Root(leaves);
  s.timestamp = clock_.NowMillis();
  s.node_id = node_.id;
  auto msg = ENTENTE_TRY(jcs::Canonicalize(UnsignedSth(s)));
  auto secret = ENTENTE_TRY(identity::NodeIdentity::LoadSecret(db_, master_));
  s.sig = crypto::Base64UrlEncode(ENTENTE_TRY(crypto::Sign(secret, crypto::AsBytes(msg))));
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO log_sths (tree_size, root, timestamp, sig) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tree_size) DO NOTHING",
                {static_cast<std::int64_t>(s.tree_size), Hex(s.root), s.timestamp, s.sig}));
    return Ok();
  }));
  return s;
}

Result<Json> Log::Receipt(const std::string& envelope_id) {
  SignedTreeHead sth = ENTENTE_TRY(Issue());
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT l.idx, j.envelope FROM journal j JOIN log_leaves l ON l.seq = j.seq WHERE j.id = ?",
      {envelope_id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no envelope " + envelope_id + " in the log");
  auto idx = static_cast<std::uint64_t>(rows[0].Int(0));
  auto leaves = ENTENTE_TRY(Leaves());
  leaves.resize(sth.tree_size);
  auto proof = ENTENTE_TRY(merkle::InclusionProof(leaves, idx));
  Json p = Json::array();
  for (const auto& h : proof) p.push_back(Hex(h));
  auto env =
      ENTENTE_TRY(jcs::ParseUntrusted(rows[0].Text(1), {.max_bytes = 64u << 20, .max_depth = 64}));
  return Json{{"envelope", env},
              {"leaf_index", idx},
              {"proof", p},
              {"sth", sth.ToJson()},
              {"node_public_key", crypto::Base64UrlEncode(node_.public_key)}};
}

Result<std::vector<merkle::Hash>> Log::ConsistencyProof(std::uint64_t first, std::uint64_t second) {
  ENTENTE_TRY(Sync());
  auto leaves = ENTENTE_TRY(Leaves());
  if (second > leaves.size())
    return Invalid("the log has only " + std::to_string(leaves.size()) + " leaves", "second");
  if (first > second) return Invalid("must not exceed second", "first");
  leaves.resize(second);
  return merkle::ConsistencyProof(leaves, first);
}

Result<Problem> Log::Verify() {
  auto journal = ENTENTE_TRY(db_.Query("SELECT seq, envelope FROM journal ORDER BY seq"));
  auto stored = ENTENTE_TRY(db_.Query("SELECT idx, seq, hash FROM log_leaves ORDER BY idx"));
  // 1. Every logged leaf must still be the same envelope at the same position.
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].Int(0) != static_cast<std::int64_t>(i))
      return Problem{static_cast<std::int64_t>(i), "log leaf " + std::to_string(i) + " is missing"};
    if (i >= journal.size())
      return Problem{static_cast<std::int64_t>(i),
                     "journal envelope of leaf " + std::to_string(i) + " was deleted"};
    if (journal[i].Int(0) != stored[i].Int(1))
      return Problem{
          static_cast<std::int64_t>(i),
          "journal order changed at leaf " + std::to_string(i) + " (rows deleted or reordered)"};
    if (Hex(LeafOf(journal[i].Text(1))) != stored[i].Text(2))
      return Problem{static_cast<std::int64_t>(i),
                     "journal envelope of leaf " + std::to_string(i) + " was altered"};
  }
  // 2. Every stored tree head must match the leaves and carry a good signature.
  std::vector<merkle::Hash> leaves;
  for (const auto& r : stored) leaves.push_back(ENTENTE_TRY(FromHex(r.Text(2), "hash")));
  auto sths = ENTENTE_TRY(
      db_.Query("SELECT tree_size, root, timestamp, sig FROM log_sths ORDER BY tree_size"));
  for (const auto& r : sths) {
    SignedTreeHead s;
    s.tree_size = static_cast<std::uint64_t>(r.Int(0));
    s.root = ENTENTE_TRY(FromHex(r.Text(1), "root"));
    s.timestamp = r.Int(2);
    s.node_id = node_.id;
    s.sig = r.Text(3);
    if (s.tree_size > leaves.size())
      return Problem{static_cast<std::int64_t>(leaves.size()),
                     "tree head of size " + std::to_string(s.tree_size) + " exceeds the log"};
    if (merkle::Root(std::span(leaves).first(s.tree_size)) != s.root)
      return Problem{
          static_cast<std::int64_t>(s.tree_size) - 1,
          "tree head of size " + std::to_string(s.tree_size) + " does not match the leaves"};
    if (!VerifySth(s, node_.public_key))
      return Problem{static_cast<std::int64_t>(s.tree_size) - 1,
                     "tree head of size " + std::to_string(s.tree_size) + " has a bad signature"};
  }
  return Problem{};
}

}  // namespace entente::transparency
