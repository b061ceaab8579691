#include "federation/federation.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/ids.h"
#include "federation/signed_request.h"
#include "jcs/jcs.h"
#include "transparency/merkle.h"
#include "transparency/receipt.h"

namespace entente::federation {

std::string_view PeerStateName(PeerState s) {
  switch (s) {
    case PeerState::kActive:
      return "active";
    case PeerState::kSuspended:
      return "suspended";
    case PeerState::kRemoved:
      return "removed";
  }
  return "removed";
}

namespace {

Result<PeerState> ParseState(const std::string& s) {
  if (s == "active") return PeerState::kActive;
  if (s == "suspended") return PeerState::kSuspended;
  if (s == "removed") return PeerState::kRemoved;
  return Fail(ErrorCode::kDataLoss, "unknown peer state " + s);
}

constexpr const char* kPeerCols =
    "node_id, base_url, public_key, state, cursor, received, applied, failures, last_error, "
    "last_success, next_retry, created, updated, relay_cursor, relay, relay_acked";

std::string NormaliseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

Status CheckBaseUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    return Invalid("must start with http:// or https://", "url");
  if (url.size() > 512) return Invalid("is longer than 512 characters", "url");
  auto rest = url.substr(url.find("//") + 2);
  if (rest.empty() || rest.find_first_of(" ?#") != std::string::npos)
    return Invalid("must be a base URL like https://node.example.org:8443", "url");
  return Ok();
}

bool IsNodeId(const std::string& s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string ProblemDetail(const http::ClientResponse& r) {
  auto j = jcs::ParseUntrusted(r.body);
  if (j && j->is_object() && j->contains("detail") && (*j)["detail"].is_string()) {
    std::string d = (*j)["detail"].get<std::string>();
    if (j->contains("field") && (*j)["field"].is_string())
      d = (*j)["field"].get<std::string>() + ": " + d;
    return d.substr(0, 300);
  }
  return "HTTP " + std::to_string(r.status);
}

}  // namespace

Json Peer::ToJson() const {
  Json j = {{"node_id", node_id},
            {"base_url", base_url},
            {"public_key", public_key},
            {"fingerprint", node_id},
            {"state", PeerStateName(state)},
            {"cursor", cursor},
            {"received", received},
            {"applied", applied},
            {"rejected", rejected},
            {"failures", failures},
            {"last_error", last_error},
            {"last_success", last_success ? Json(FormatRfc3339(*last_success)) : Json(nullptr)},
            {"next_retry", next_retry > 0 ? Json(FormatRfc3339(next_retry)) : Json(nullptr)},
            {"created", FormatRfc3339(created)},
            {"updated", FormatRfc3339(updated)},
            {"relay_cursor", relay_cursor},
            {"relay", relay},
            {"relay_acked", relay_acked}};
  if (!introduction.empty()) j["introduction"] = introduction;
  return j;
}

Json IntroductionRecord::ToJson() const {
  return {{"node_id", node_id},
          {"fingerprint", node_id},
          {"public_key", public_key},
          {"name", name},
          {"base_url", base_url},
          {"state", state},
          {"times", times},
          {"received", FormatRfc3339(received)},
          {"updated", FormatRfc3339(updated)}};
}

Json PullResult::ToJson() const {
  return {{"received", received}, {"applied", applied}, {"rejected", rejected},
          {"pending", pending},   {"more", more},       {"cursor", cursor}};
}

Json Alert::ToJson() const {
  return {{"id", id},         {"log_node", log_node}, {"kind", kind},
          {"detail", detail}, {"evidence", evidence}, {"created", FormatRfc3339(created)}};
}

struct Federation::Worker {
  std::thread thread;
  std::atomic<bool> done{false};
};

Federation::Federation(store::Database& db, journal::Journal& journal, transparency::Log& log,
                       identity::NodeInfo self, crypto::SecretBytes node_secret, Audience& audience,
                       Ingress& ingress, const Clock& clock, Options options)
    : db_(db),
      journal_(journal),
      log_(log),
      self_(std::move(self)),
      secret_(std::move(node_secret)),
      audience_(audience),
      ingress_(ingress),
      clock_(clock),
      opts_(options) {}

Federation::~Federation() { Stop(); }

// ---- peers -------------------------------------------------------------------

Json Federation::Self() const {
  std::lock_guard lock(name_mu_);
  return {{"node_id", self_.id},
          {"fingerprint", self_.id},
          {"public_key", crypto::Base64UrlEncode(self_.public_key)},
          {"base_url", self_.base_url},
          {"name", name_}};
}

void Federation::SetName(std::string name) {
  // At most 200 bytes, cut on a character boundary, no control characters.
  std::erase_if(name, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (name.size() > 200) {
    std::size_t n = 200;
    while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
    name.resize(n);
  }
  std::lock_guard lock(name_mu_);
  name_ = std::move(name);
}

Result<std::vector<IntroductionRecord>> Federation::Introductions() {
  auto rows = ENTENTE_TRY(
      db_.Query("SELECT node_id, public_key, name, base_url, state, times, received, updated FROM "
                "federation_introductions ORDER BY CASE state WHEN 'pending' THEN 0 ELSE 1 END, "
                "received DESC, node_id LIMIT 2000"));
  std::vector<IntroductionRecord> out;
  for (const auto& r : rows) {
    IntroductionRecord x;
    x.node_id = r.Text(0);
    x.public_key = r.Text(1);
    x.name = r.Text(2);
    x.base_url = r.Text(3);
    x.state = r.Text(4);
    x.times = r.Int(5);
    x.received = r.Int(6);
    x.updated = r.Int(7);
    out.push_back(std::move(x));
  }
  return out;
}

std::string Federation::IntroduceTo(const Peer& peer) {
  Json body = Self();
  body.erase("fingerprint");
  std::string text = body.dump();
  const std::string target = "/federation/v1/introduce";
  auto headers =
      SignRequest(secret_, self_.id, peer.node_id, "POST", target, text, clock_.NowMillis());
  if (!headers) return "failed: " + headers.error().ToString();
  (*headers).emplace("Content-Type", "application/json");
  auto r = http::Send(peer.base_url, "POST", target, text, *headers, opts_.timeout_seconds);
  if (!r) return "failed: cannot reach " + peer.base_url + ": " + r.error().message;
  if (r->status != 200)
    return "failed: HTTP " + std::to_string(r->status) + ": " + ProblemDetail(*r);
  auto j = jcs::ParseUntrusted(r->body);
  if (!j || !j->is_object() || !j->contains("state") || !(*j)["state"].is_string())
    return "failed: the peer's answer is not an introduction receipt";
  std::string st = (*j)["state"].get<std::string>();
  if (st != "pending" && st != "accepted") return "failed: unknown state " + st.substr(0, 32);
  return st;
}

Result<bool> Federation::ClaimNonce(const std::string& node, const std::string& nonce,
                                    Millis date) {
  std::int64_t inserted = 0;
  Millis now = clock_.NowMillis();
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("DELETE FROM federation_nonces WHERE expires < ?", {now}));
    inserted = ENTENTE_TRY(
        tx.Exec("INSERT INTO federation_nonces (node_id, nonce, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (node_id, nonce) DO NOTHING",
                {node, nonce, date + 2 * kRequestWindowMs}));
    return Ok();
  }));
  return inserted != 0;
}

Result<Json> Federation::Introduce(const http::Request& req) {
  auto h = ENTENTE_TRY(ParseSignedHeaders(req.headers));
  auto in = ParseIntroduction(req.body);
  if (!in) return std::unexpected(in.error());
  if (in->node_id != h.node)
    return Fail(ErrorCode::kUnauthenticated,
                "the introduction is not signed by the node it introduces", "Entente-Node");
  auto key = crypto::Base64UrlDecode(in->public_key);
  if (!key) return Invalid("must be a base64url Ed25519 key", "public_key");
  Millis now = clock_.NowMillis();
  ENTENTE_CHECK(VerifySignedRequest(h, *key, self_.id, req.method,
                                    CanonicalTarget(req.path, req.query), req.body, now));
  if (!ENTENTE_TRY(ClaimNonce(h.node, h.nonce, h.date)))
    return Fail(ErrorCode::kUnauthenticated, "this request was already received (replay)",
                "Entente-Nonce");
  if (in->node_id == self_.id) return Invalid("is this node's own id", "node_id");
  std::string state = "pending";
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    auto peer =
        ENTENTE_TRY(tx.Query("SELECT public_key FROM peers WHERE node_id = ?", {in->node_id}));
    if (!peer.empty()) {
      if (peer[0].Text(0) != in->public_key)
        return Fail(ErrorCode::kConflict, "this node id is pinned here with another key",
                    "public_key");
      state = "accepted";
    }
    auto have = ENTENTE_TRY(
        tx.Query("SELECT state FROM federation_introductions WHERE node_id = ?", {in->node_id}));
    if (have.empty()) {
      auto n = ENTENTE_TRY(
          tx.Query("SELECT COUNT(*) FROM federation_introductions WHERE state = 'pending'"));
      if (state == "pending" && n[0].Int(0) >= kMaxPendingIntroductions)
        return Fail(ErrorCode::kResourceExhausted,
                    "too many pending introductions on this node: ask its operator to peer");
      ENTENTE_TRY(tx.Exec(
          "INSERT INTO federation_introductions (node_id, public_key, name, base_url, state, "
          "times, received, updated) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
          {in->node_id, in->public_key, in->name, in->base_url, state, now, now}));
    } else {
      if (have[0].Text(0) == "accepted") state = "accepted";
      ENTENTE_TRY(
          tx.Exec("UPDATE federation_introductions SET name = ?, base_url = ?, state = ?, "
                  "times = times + 1, updated = ? WHERE node_id = ?",
                  {in->name, in->base_url, state, now, in->node_id}));
    }
    return Ok();
  }));
  spdlog::info("federation: introduction from {} ({}, {}): {}", in->node_id.substr(0, 16), in->name,
               in->base_url, state);
  return Json{{"node_id", self_.id}, {"state", state}};
}

Result<Peer> Federation::AddPeer(const std::string& base_url_in, const std::string& fingerprint) {
  std::string base_url = NormaliseUrl(base_url_in);
  ENTENTE_CHECK(CheckBaseUrl(base_url));
  std::string fp = fingerprint;
  std::erase(fp, ':');
  std::transform(fp.begin(), fp.end(), fp.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!IsNodeId(fp))
    return Invalid("must be the peer's fingerprint: 64 hexadecimal digits", "fingerprint");
  if (fp == self_.id) return Invalid("is this node's own fingerprint", "fingerprint");
  auto r = http::Send(base_url, "GET", "/api/v1/node", {}, {}, opts_.timeout_seconds);
  if (!r)
    return Fail(ErrorCode::kUnavailable, "cannot reach " + base_url + ": " + r.error().message,
                "url");
  if (r->status != 200)
    return Fail(ErrorCode::kUnavailable,
                base_url + "/api/v1/node answered HTTP " + std::to_string(r->status), "url");
  auto j = jcs::ParseUntrusted(r->body);
  if (!j || !j->is_object() || !j->contains("id") || !(*j)["id"].is_string() ||
      !j->contains("public_key") || !(*j)["public_key"].is_string())
    return Fail(ErrorCode::kUnavailable, base_url + "/api/v1/node did not return a node identity",
                "url");
  std::string key_b64 = (*j)["public_key"].get<std::string>();
  auto key = crypto::Base64UrlDecode(key_b64);
  if (!key || key->size() != 32)
    return Fail(ErrorCode::kUnavailable, base_url + " serves a malformed node key", "url");
  std::string actual = crypto::Fingerprint(*key);
  if (actual != fp)
    return Fail(ErrorCode::kPermissionDenied,
                "the node at " + base_url + " has fingerprint " + actual +
                    ", not the one given: do not peer, verify out of band",
                "fingerprint");
  if ((*j)["id"].get<std::string>() != actual)
    return Fail(ErrorCode::kPermissionDenied,
                "the node at " + base_url + " claims an id that is not its key's fingerprint",
                "fingerprint");
  auto p = ENTENTE_TRY(AddPeerKnown(base_url, actual, key_b64));
  p.introduction = IntroduceTo(p);
  return p;
}

Result<Peer> Federation::AddPeerKnown(const std::string& base_url_in, const std::string& node_id,
                                      const std::string& public_key_b64) {
  std::string base_url = NormaliseUrl(base_url_in);
  ENTENTE_CHECK(CheckBaseUrl(base_url));
  auto key = crypto::Base64UrlDecode(public_key_b64);
  if (!key || key->size() != 32 || crypto::Fingerprint(*key) != node_id)
    return Invalid("the key does not match the node id", "public_key");
  if (node_id == self_.id) return Invalid("a node cannot peer with itself", "fingerprint");
  Millis now = clock_.NowMillis();
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    auto rows = ENTENTE_TRY(tx.Query("SELECT public_key FROM peers WHERE node_id = ?", {node_id}));
    if (!rows.empty()) {
      if (rows[0].Text(0) != public_key_b64)
        return Fail(ErrorCode::kConflict, "peer " + node_id + " is pinned with another key");
      ENTENTE_TRY(
          tx.Exec("UPDATE peers SET base_url = ?, state = 'active', failures = 0, next_retry = 0, "
                  "last_error = '', updated = ? WHERE node_id = ?",
                  {base_url, now, node_id}));
      return Ok();
    }
    ENTENTE_TRY(
        tx.Exec("INSERT INTO peers (node_id, base_url, public_key, state, created, updated) "
                "VALUES (?, ?, ?, 'active', ?, ?)",
                {node_id, base_url, public_key_b64, now, now}));
    // An introduction from that node with the same key is now accepted.
    ENTENTE_TRY(
        tx.Exec("UPDATE federation_introductions SET state = 'accepted', updated = ? "
                "WHERE node_id = ? AND public_key = ?",
                {now, node_id, public_key_b64}));
    return Ok();
  }));
  { std::lock_guard lock(mu_); }
  cv_.notify_all();
  return GetPeer(node_id);
}

namespace {
Result<Peer> PeerFromRow(const store::Row& r) {
  Peer p;
  p.node_id = r.Text(0);
  p.base_url = r.Text(1);
  p.public_key = r.Text(2);
  p.state = ENTENTE_TRY(ParseState(r.Text(3)));
  p.cursor = r.Int(4);
  p.received = r.Int(5);
  p.applied = r.Int(6);
  p.failures = static_cast<int>(r.Int(7));
  p.last_error = r.Text(8);
  if (!r.IsNull(9)) p.last_success = r.Int(9);
  p.next_retry = r.Int(10);
  p.created = r.Int(11);
  p.updated = r.Int(12);
  p.relay_cursor = r.Int(13);
  p.relay = r.Int(14) != 0;
  p.relay_acked = r.Int(15);
  return p;
}
}  // namespace

Result<std::vector<Peer>> Federation::ListPeers() {
  auto rows = ENTENTE_TRY(
      db_.Query(std::string("SELECT ") + kPeerCols + " FROM peers ORDER BY created, node_id"));
  auto rej = ENTENTE_TRY(db_.Query("SELECT node_id, reason, count FROM federation_rejections"));
  std::vector<Peer> out;
  for (const auto& r : rows) out.push_back(ENTENTE_TRY(PeerFromRow(r)));
  for (const auto& r : rej)
    for (auto& p : out)
      if (p.node_id == r.Text(0)) p.rejected[r.Text(1)] = r.Int(2);
  return out;
}

Result<Peer> Federation::GetPeer(const std::string& node_id) {
  if (!IsNodeId(node_id)) return Fail(ErrorCode::kNotFound, "no peer " + node_id);
  auto rows = ENTENTE_TRY(
      db_.Query(std::string("SELECT ") + kPeerCols + " FROM peers WHERE node_id = ?", {node_id}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "no peer " + node_id);
  Peer p = ENTENTE_TRY(PeerFromRow(rows[0]));
  auto rej = ENTENTE_TRY(
      db_.Query("SELECT reason, count FROM federation_rejections WHERE node_id = ?", {node_id}));
  for (const auto& r : rej) p.rejected[r.Text(0)] = r.Int(1);
  return p;
}

Status Federation::SetState(const std::string& node_id, PeerState state) {
  ENTENTE_TRY(GetPeer(node_id));
  ENTENTE_TRY(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec(
        "UPDATE peers SET state = ?, failures = 0, next_retry = 0, updated = ? WHERE node_id = ?",
        {std::string(PeerStateName(state)), clock_.NowMillis(), node_id}));
    return Ok();
  }));
  cv_.notify_all();
  return Ok();
}

Status Federation::SetRelay(const std::string& node_id, bool relay) {
  ENTENTE_TRY(GetPeer(node_id));
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(tx.Exec("UPDATE peers SET relay = ?, updated = ? WHERE node_id = ?",
                        {static_cast<std::int64_t>(relay ? 1 : 0), clock_.NowMillis(), node_id}));
    return Ok();
  });
}

Result<int> Federation::PruneRelay() {
  std::int64_t n = 0;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    auto acked = ENTENTE_TRY(
        tx.Query("SELECT COUNT(*), MIN(relay_acked) FROM peers WHERE state = 'active'"));
    std::int64_t upto = !acked.empty() && acked[0].Int(0) > 0 ? acked[0].Int(1) : 0;
    Millis now = clock_.NowMillis();
    n = ENTENTE_TRY(
        tx.Exec("DELETE FROM federation_relay WHERE (seq <= ? AND received < ?) OR received < ?",
                {upto, now - opts_.relay_min_age_ms, now - opts_.relay_max_age_ms}));
    return Ok();
  }));
  return static_cast<int>(n);
}

Status Federation::CountRejection(const std::string& peer, const std::string& reason,
                                  const std::string& detail, std::int64_t n) {
  spdlog::warn("federation: rejected from {}: {}: {}", peer.substr(0, 16), reason, detail);
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO federation_rejections (node_id, reason, count, last_detail, updated) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (node_id, reason) DO UPDATE SET "
                "count = federation_rejections.count + excluded.count, "
                "last_detail = excluded.last_detail, updated = excluded.updated",
                {peer, reason, n, detail.substr(0, 500), clock_.NowMillis()}));
    return Ok();
  });
}

Status Federation::RecordFailure(const std::string& peer, const Error& e) {
  auto p = ENTENTE_TRY(GetPeer(peer));
  int failures = std::min(p.failures + 1, 30);
  Millis backoff = opts_.backoff_min_ms;
  for (int i = 1; i < failures && backoff < opts_.backoff_max_ms; ++i) backoff *= 2;
  backoff = std::min(backoff, opts_.backoff_max_ms);
  Millis now = clock_.NowMillis();
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("UPDATE peers SET failures = ?, last_error = ?, next_retry = ?, updated = ? "
                "WHERE node_id = ?",
                {static_cast<std::int64_t>(failures), e.ToString().substr(0, 500), now + backoff,
                 now, peer}));
    return Ok();
  });
}

// ---- server side ---------------------------------------------------------------

Result<std::string> Federation::Authenticate(const http::Request& req) {
  auto h = ENTENTE_TRY(ParseSignedHeaders(req.headers));
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT public_key, state FROM peers WHERE node_id = ?", {h.node}));
  if (rows.empty() || rows[0].Text(1) != "active") {
    if (!rows.empty())
      ENTENTE_CHECK(CountRejection(h.node, "request_from_" + rows[0].Text(1) + "_peer",
                                   req.method + " " + req.path));
    return Fail(ErrorCode::kUnauthenticated, "not an active peer of this node", "Entente-Node");
  }
  auto key = crypto::Base64UrlDecode(rows[0].Text(0));
  if (!key) return Fail(ErrorCode::kDataLoss, "pinned key of peer " + h.node + " is corrupt");
  Millis now = clock_.NowMillis();
  auto st = VerifySignedRequest(h, *key, self_.id, req.method, CanonicalTarget(req.path, req.query),
                                req.body, now);
  if (!st) {
    ENTENTE_CHECK(CountRejection(h.node, kRejectRequestSignature, st.error().ToString()));
    return std::unexpected(st.error());
  }
  if (!ENTENTE_TRY(ClaimNonce(h.node, h.nonce, h.date))) {
    ENTENTE_CHECK(CountRejection(h.node, kRejectRequestReplay, req.method + " " + req.path));
    return Fail(ErrorCode::kUnauthenticated, "this request was already received (replay)",
                "Entente-Nonce");
  }
  return h.node;
}

Result<bool> Federation::NeedsRelay(const journal::Envelope& env, const std::string& to) {
  std::set<std::string> direct;
  bool loaded = false;
  for (const auto& org : NamedOrgs(env)) {
    std::string home = ENTENTE_TRY(audience_.HomeNode(org));
    if (home.empty() || home == self_.id || home == to) continue;
    if (!loaded) {
      auto rows = ENTENTE_TRY(db_.Query("SELECT node_id FROM peers WHERE state = 'active'"));
      for (const auto& r : rows) direct.insert(r.Text(0));
      loaded = true;
    }
    if (!direct.contains(home)) return true;
  }
  return false;
}

Status Federation::KeepRelay(store::Tx& tx, const journal::Envelope& env,
                             const std::string& canonical, const std::string& from) {
  ENTENTE_TRY(tx.Exec(
      "INSERT INTO federation_relay (id, envelope, from_peer, received) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (id) DO NOTHING",
      {env.id, canonical, from, clock_.NowMillis()}));
  return Ok();
}

Result<std::string> Federation::Feed(const std::string& peer, std::int64_t after, int limit,
                                     std::int64_t relay_after) {
  limit = std::clamp(limit, 1, kMaxPageEntries);
  // The peer holds every relayed envelope up to relay_after (PruneRelay).
  bool relay_link = false;
  {
    auto rows =
        ENTENTE_TRY(db_.Query("SELECT relay, relay_acked FROM peers WHERE node_id = ?", {peer}));
    relay_link = !rows.empty() && rows[0].Int(0) != 0;
    if (!rows.empty() && rows[0].Int(1) < relay_after) {
      ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
        ENTENTE_TRY(
            tx.Exec("UPDATE peers SET relay_acked = ? WHERE node_id = ? AND relay_acked < ?",
                    {relay_after, peer, relay_after}));
        return Ok();
      }));
    }
  }
  std::string entries;
  int count = 0;
  std::int64_t next = after;
  bool more = false;
  int scanned = 0;
  const int kScanBudget = std::max(5000, 2 * limit);
  while (count < limit && scanned < kScanBudget) {
    int batch = std::min(1000, kScanBudget - scanned);
    auto rows = ENTENTE_TRY(journal_.ReadAfter(next, batch));
    for (const auto& e : rows) {
      if (count >= limit) {
        more = true;
        break;
      }
      ++scanned;
      next = e.seq;
      if (e.envelope.origin_node == peer) continue;  // it has it
      auto v = ENTENTE_TRY(MayHold(e.envelope, peer, audience_));
      // Not for the peer itself: only our own envelopes that it may carry
      // to a destination we do not reach directly.
      if (v != Verdict::kAllowed &&
          !(v == Verdict::kDenied && relay_link && e.envelope.origin_node == self_.id &&
            audience_.Relayable(e.envelope) && ENTENTE_TRY(NeedsRelay(e.envelope, peer))))
        continue;
      if (count > 0) entries += ',';
      entries += "{\"seq\":" + std::to_string(e.seq) + ",\"envelope\":" + e.canonical;
      entries += ENTENTE_TRY(HomeMember(e.envelope, e.canonical));
      entries += '}';
      ++count;
    }
    if (more) break;
    if (static_cast<int>(rows.size()) < batch) break;
    if (scanned >= kScanBudget) more = true;
  }
  if (!more && count >= limit) {
    auto rest = ENTENTE_TRY(journal_.ReadAfter(next, 1));
    more = !rest.empty();
  }
  // What this node carries for others: to the peer that may hold it, or
  // onward when its destination is not a peer of ours.
  std::string relayed;
  std::int64_t relay_next = relay_after;
  {
    const int kRelayPage = 500;
    auto rows =
        ENTENTE_TRY(db_.Query("SELECT seq, envelope, from_peer FROM federation_relay WHERE seq > ? "
                              "ORDER BY seq LIMIT ?",
                              {relay_after, static_cast<std::int64_t>(kRelayPage)}));
    if (static_cast<int>(rows.size()) == kRelayPage) more = true;
    int n = 0;
    for (const auto& r : rows) {
      relay_next = r.Int(0);
      if (r.Text(2) == peer) continue;
      auto j = jcs::ParseUntrusted(r.Text(1), {.max_bytes = 64u << 20,
                                               .max_depth = 64,
                                               .max_string_bytes = 64u << 20,
                                               .max_elements = 10'000'000});
      if (!j) continue;
      auto env = journal::Envelope::FromJson(*j);
      if (!env || env->origin_node == peer) continue;
      auto v = ENTENTE_TRY(MayHold(*env, peer, audience_));
      if (v != Verdict::kAllowed &&
          !(v == Verdict::kDenied && relay_link && ENTENTE_TRY(NeedsRelay(*env, peer))))
        continue;
      if (n++ > 0) relayed += ',';
      relayed += "{\"seq\":" + std::to_string(r.Int(0)) + ",\"envelope\":" + r.Text(1) + "}";
    }
  }
  Json sth = nullptr;
  auto latest = ENTENTE_TRY(log_.Latest());
  if (latest) sth = latest->ToJson();
  Json heads = Json::array();
  auto hrows = ENTENTE_TRY(db_.Query(
      "SELECT sth FROM federation_heads h WHERE seen_via = '' AND log_node <> ? AND tree_size = "
      "(SELECT MAX(tree_size) FROM federation_heads g WHERE g.log_node = h.log_node AND "
      "g.seen_via = '') ORDER BY log_node LIMIT ?",
      {peer, static_cast<std::int64_t>(kMaxHeads)}));
  for (const auto& r : hrows) {
    auto j = jcs::ParseUntrusted(r.Text(0));
    if (j) heads.push_back(*j);
  }
  std::string out = "{\"node\":\"" + self_.id + "\",\"after\":" + std::to_string(after) +
                    ",\"next\":" + std::to_string(next) + ",\"more\":" + (more ? "true" : "false") +
                    ",\"entries\":[" + entries + "],\"sth\":" + sth.dump() +
                    ",\"heads\":" + heads.dump() + ",\"relay\":[" + relayed +
                    "],\"relay_next\":" + std::to_string(relay_next) + "}";
  return out;
}

std::string Federation::SignHome(const std::string& envelope_id, const std::string& canonical) {
  auto sig = crypto::Sign(
      secret_, crypto::AsBytes(HomeEndorsementMessage(
                   envelope_id, crypto::HexEncode(crypto::Sha256(crypto::AsBytes(canonical))))));
  if (!sig) return "";
  return crypto::Base64UrlEncode(*sig);
}

Result<std::string> Federation::HomeMember(const journal::Envelope& env,
                                           const std::string& canonical) {
  auto claim = ENTENTE_TRY(audience_.ClaimedHome(env));
  if (!claim.creation || claim.node.empty()) return std::string();
  std::string key, sig;
  if (claim.node == self_.id) {
    // Our own organisations: endorsed with the node key as they leave.
    key = crypto::Base64UrlEncode(self_.public_key);
    sig = SignHome(env.id, canonical);
  } else {
    // Relayed: the endorsement received with it, unchanged.
    auto rows = ENTENTE_TRY(
        db_.Query("SELECT public_key, signature FROM federation_home_claims WHERE envelope_id = ?",
                  {env.id}));
    if (rows.empty()) return std::string();
    key = rows[0].Text(0);
    sig = rows[0].Text(1);
  }
  if (sig.empty()) return std::string();
  return ",\"home\":{\"key\":\"" + key + "\",\"sig\":\"" + sig + "\"}";
}

Status Federation::CheckHomeClaim(const journal::Envelope& env,
                                  const std::optional<HomeEndorsement>& home, std::string& detail,
                                  bool& endorsed) {
  endorsed = false;
  auto claim = ENTENTE_TRY(audience_.ClaimedHome(env));
  if (claim.node.empty()) return Ok();
  auto refuse = [&](const std::string& why) -> Status {
    detail = env.id + ": organisation " + claim.org + " claims home node " +
             claim.node.substr(0, 16) + "…: " + why;
    return Fail(ErrorCode::kPermissionDenied, detail);
  };
  if (claim.node != env.origin_node)
    return refuse("the envelope was written on node " + env.origin_node.substr(0, 16) + "…");
  std::string known = ENTENTE_TRY(audience_.HomeNode(claim.org));
  if (!known.empty()) {
    if (known != claim.node) return refuse("its home here is " + known.substr(0, 16) + "…");
    return Ok();  // bound when it was created
  }
  if (!claim.creation) return Ok();  // an update before its creation: waits (pending)
  if (!home) return refuse("no endorsement by that node");
  auto key = crypto::Base64UrlDecode(home->key);
  auto sig = crypto::Base64UrlDecode(home->sig);
  if (!key || key->size() != 32 || crypto::Fingerprint(*key) != claim.node)
    return refuse("the endorsement is not by that node's key");
  auto canonical = ENTENTE_TRY(env.Canonical());
  std::string msg =
      HomeEndorsementMessage(env.id, crypto::HexEncode(crypto::Sha256(crypto::AsBytes(canonical))));
  if (!sig || !crypto::Verify(*key, crypto::AsBytes(msg), *sig))
    return refuse("the endorsement does not verify");
  endorsed = true;
  return Ok();
}

Status Federation::KeepHome(store::Tx& tx, const std::string& envelope_id,
                            const std::optional<HomeEndorsement>& home) {
  if (!home) return Ok();
  ENTENTE_TRY(tx.Exec(
      "INSERT INTO federation_home_claims (envelope_id, public_key, signature) VALUES (?, ?, ?) "
      "ON CONFLICT (envelope_id) DO NOTHING",
      {envelope_id, home->key, home->sig}));
  return Ok();
}

Result<Json> Federation::Consistency(std::uint64_t first, std::uint64_t second) {
  auto proof = ENTENTE_TRY(log_.ConsistencyProof(first, second));
  Json a = Json::array();
  for (const auto& h : proof) a.push_back(transparency::HashHex(h));
  return Json{{"first", first}, {"second", second}, {"proof", a}};
}

// ---- client side ---------------------------------------------------------------

Result<http::ClientResponse> Federation::SignedGet(
    const Peer& peer, const std::string& path,
    const std::multimap<std::string, std::string>& query) {
  std::string target = CanonicalTarget(path, query);
  auto headers = ENTENTE_TRY(
      SignRequest(secret_, self_.id, peer.node_id, "GET", target, "", clock_.NowMillis()));
  auto r = http::Send(peer.base_url, "GET", target, {}, headers, opts_.timeout_seconds);
  if (!r) return std::unexpected(r.error());
  if (r->status != 200)
    return Fail(ErrorCode::kUnavailable, peer.base_url + path + " answered " +
                                             std::to_string(r->status) + ": " + ProblemDetail(*r));
  return r;
}

Result<PullResult> Federation::PullOnce(const std::string& peer_id) {
  auto peer = ENTENTE_TRY(GetPeer(peer_id));
  if (peer.state != PeerState::kActive)
    return Fail(ErrorCode::kFailedPrecondition,
                "peer " + peer_id + " is " + std::string(PeerStateName(peer.state)));
  auto run = [&]() -> Result<PullResult> {
    auto r = ENTENTE_TRY(SignedGet(peer, "/federation/v1/feed",
                                   {{"after", std::to_string(peer.cursor)},
                                    {"limit", std::to_string(opts_.page_size)},
                                    {"relay_after", std::to_string(peer.relay_cursor)}}));
    auto page = ParseFeedPage(r.body);
    if (!page) {
      ENTENTE_CHECK(CountRejection(peer_id, kRejectMalformed, page.error().ToString()));
      return Fail(ErrorCode::kDataLoss, "malformed feed page: " + page.error().ToString());
    }
    if (page->node != peer_id || page->after != peer.cursor)
      return Fail(ErrorCode::kDataLoss, "feed page is not the one asked for");
    return IngestPage(peer, *page);
  };
  auto res = run();
  if (!res) {
    ENTENTE_CHECK(RecordFailure(peer_id, res.error()));
    return res;
  }
  return res;
}

Result<PullResult> Federation::Sync(const std::string& peer, int max_pages) {
  PullResult total;
  for (int i = 0; i < max_pages; ++i) {
    auto r = ENTENTE_TRY(PullOnce(peer));
    total.received += r.received;
    total.applied += r.applied;
    total.rejected += r.rejected;
    total.pending = r.pending;
    total.cursor = r.cursor;
    total.more = r.more;
    if (!r.more) break;
  }
  return total;
}

namespace {

// What to do with an envelope whose Record failed.
enum class Outcome { kApplied, kPending, kReplayed, kForged, kInvalid };

Outcome Classify(const Error& e) {
  switch (e.code) {
    case ErrorCode::kAlreadyExists:
      return Outcome::kReplayed;
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
      return Outcome::kPending;
    case ErrorCode::kDataLoss:
      return e.field == "author_org" ? Outcome::kPending : Outcome::kForged;
    default:
      return Outcome::kInvalid;
  }
}

}  // namespace

Result<PullResult> Federation::IngestPage(const Peer& peer, const FeedPage& page) {
  PullResult res;
  res.more = page.more;
  res.cursor = page.next;
  res.received = static_cast<int>(page.entries.size() + page.relay.size());
  // Entries of the journal, then those relayed by the peer: checked alike.
  std::vector<const FeedEntry*> all;
  all.reserve(page.entries.size() + page.relay.size());
  for (const auto& e : page.entries) all.push_back(&e);
  for (const auto& e : page.relay) all.push_back(&e);
  struct Candidate {
    journal::Envelope env;
    journal::CanonicalForms forms;  // signed and stored bytes, computed once
    std::optional<HomeEndorsement> home;
  };
  std::vector<Candidate> cands;
  std::map<std::string, std::pair<std::int64_t, std::string>> rejects;  // reason -> n, detail
  auto reject = [&](const char* reason, const std::string& detail) {
    auto& r = rejects[reason];
    r.first++;
    r.second = detail;
    if (std::string(reason) != kRejectReplayed) res.rejected++;
  };
  std::vector<Candidate> pending;
  std::vector<Candidate> relays;  // for others: kept, never applied
  std::set<std::string> ids_in_page;
  // What is already recorded under the ids of the page: one query per 200 ids
  // rather than one per envelope.
  std::map<std::string, std::string> recorded;  // id -> canonical bytes
  {
    std::vector<std::string> ids;
    for (const auto* e : all)
      if (e->envelope.is_object())
        if (auto it = e->envelope.find("id"); it != e->envelope.end() && it->is_string())
          ids.push_back(it->get<std::string>());
    for (std::size_t i = 0; i < ids.size(); i += 200) {
      std::string sql = "SELECT id, envelope FROM journal WHERE id IN (";
      store::Params params;
      for (std::size_t k = i; k < std::min(ids.size(), i + 200); ++k) {
        sql += k == i ? "?" : ",?";
        params.emplace_back(ids[k]);
      }
      sql += ")";
      auto rows = ENTENTE_TRY(db_.Query(sql, params));
      for (const auto& r : rows) recorded[r.Text(0)] = r.Text(1);
    }
  }
  for (const auto* ep : all) {
    const FeedEntry& e = *ep;
    auto env = journal::Envelope::FromJson(e.envelope);
    if (!env) {
      reject(kRejectMalformed, "seq " + std::to_string(e.seq) + ": " + env.error().ToString());
      continue;
    }
    auto forms = journal::CanonicalFormsOf(*env);
    if (!forms) {
      reject(kRejectMalformed, "seq " + std::to_string(e.seq) + ": does not canonicalize");
      continue;
    }
    if (auto have = recorded.find(env->id); have != recorded.end()) {
      if (have->second == forms->stored)
        reject(kRejectReplayed, env->id + " is already recorded");
      else
        reject(kRejectAltered, env->id + " differs from the envelope recorded with that id");
      continue;
    }
    // Origin: the author's home node, when known, is where it was written.
    std::string home = ENTENTE_TRY(audience_.HomeNode(env->author_org));
    if (!home.empty() && home != env->origin_node) {
      reject(kRejectOrigin, env->id + ": origin_node " + env->origin_node +
                                " is not the home node of author " + env->author_org);
      continue;
    }
    // A claim that an organisation is homed on some node: made on that node
    // and endorsed by its key (or already bound here).
    std::string claim_detail;
    bool endorsed = false;
    if (auto st = CheckHomeClaim(*env, e.home, claim_detail, endorsed); !st) {
      if (claim_detail.empty()) return std::unexpected(st.error());
      reject(kRejectHomeClaim, claim_detail);
      continue;
    }
    // Kept (to relay it) only when it was checked.
    std::optional<HomeEndorsement> endorsement = endorsed ? e.home : std::nullopt;
    auto v = ENTENTE_TRY(MayHold(*env, self_.id, audience_));
    if (v == Verdict::kDenied && audience_.Relayable(*env)) {
      if (!peer.relay) {
        reject(kRejectRelayRefused, env->id + " (" + env->type +
                                        ") offered for relay by a peer that is not a relay link");
        continue;
      }
      if (ids_in_page.insert(env->id).second)
        relays.push_back({std::move(*env), std::move(*forms), std::nullopt});
      continue;
    }
    if (v == Verdict::kDenied) {
      reject(kRejectPolicy,
             env->id + " (" + env->type + ", TLP:" + env->tlp + ") is not allowed on this node");
      continue;
    }
    // Every organisation it names must be known here first (the directory
    // may arrive later, by another peer): wait for it.
    // Only now: an invalid copy earlier in the page does not hide the genuine one.
    if (!ids_in_page.insert(env->id).second) {
      reject(kRejectReplayed, env->id + " twice in one page");
      continue;
    }
    bool unknown = v == Verdict::kUnknown || ENTENTE_TRY(NamesUnknownOrg(*env));
    if (unknown) {
      pending.push_back({std::move(*env), std::move(*forms), std::move(endorsement)});
      continue;
    }
    cands.push_back({std::move(*env), std::move(*forms), std::move(endorsement)});
  }
  // Fast path: every candidate and the cursor in one transaction.
  bool batch_ok = !cands.empty();
  auto advance = [&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("UPDATE peers SET cursor = ?, received = received + ?, applied = applied + ?, "
                "failures = 0, last_error = '', next_retry = 0, last_success = ?, updated = ?, "
                "relay_cursor = CASE WHEN relay_cursor < ? THEN ? ELSE relay_cursor END "
                "WHERE node_id = ? AND cursor <= ?",
                {page.next, static_cast<std::int64_t>(res.received),
                 static_cast<std::int64_t>(res.applied), clock_.NowMillis(), clock_.NowMillis(),
                 page.relay_next, page.relay_next, peer.node_id, page.next}));
    for (const auto& c : relays) ENTENTE_TRY(KeepRelay(tx, c.env, c.forms.stored, peer.node_id));
    for (const auto& c : pending) {
      std::string home =
          c.home ? Json{{"key", c.home->key}, {"sig", c.home->sig}}.dump() : std::string();
      ENTENTE_TRY(
          tx.Exec("INSERT INTO federation_pending (id, peer, envelope, reason, created, home) "
                  "VALUES (?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING",
                  {c.env.id, peer.node_id, c.forms.stored, std::string("unknown home node"),
                   clock_.NowMillis(), home}));
    }
    return Ok();
  };
  if (batch_ok) {
    res.applied = static_cast<int>(cands.size());
    auto st = db_.Transact([&](store::Tx& tx) -> Status {
      for (const auto& c : cands) {
        ENTENTE_CHECK(ingress_.Record(tx, c.env, &c.forms));
        ENTENTE_CHECK(KeepHome(tx, c.env.id, c.home));
      }
      return advance(tx);
    });
    if (!st) {
      batch_ok = false;
      res.applied = 0;
    }
  }
  if (!batch_ok) {
    // Slow path: one at a time, so that one bad envelope refuses only itself.
    for (auto& c : cands) {
      auto st = db_.Transact([&](store::Tx& tx) -> Status {
        ENTENTE_CHECK(ingress_.Record(tx, c.env, &c.forms));
        return KeepHome(tx, c.env.id, c.home);
      });
      if (st) {
        res.applied++;
        continue;
      }
      switch (Classify(st.error())) {
        case Outcome::kPending:
          pending.push_back(std::move(c));
          break;
        case Outcome::kReplayed:
          reject(kRejectReplayed, c.env.id + ": " + st.error().ToString());
          break;
        case Outcome::kForged:
          reject(kRejectForged, c.env.id + ": " + st.error().ToString());
          break;
        default:
          reject(kRejectInvalid, c.env.id + ": " + st.error().ToString());
          break;
      }
    }
    ENTENTE_CHECK(db_.Transact(advance));
  }
  res.pending = static_cast<int>(pending.size());
  for (const auto& [reason, nd] : rejects)
    ENTENTE_CHECK(CountRejection(peer.node_id, reason, nd.second, nd.first));
  // Gossip.
  if (page.sth) {
    auto st = ObserveHead(*page.sth, "");
    if (!st) ENTENTE_CHECK(CountRejection(peer.node_id, "bad_head", st.error().ToString()));
  }
  for (const auto& h : page.heads) {
    auto st = ObserveHead(h, peer.node_id);
    if (!st) ENTENTE_CHECK(CountRejection(peer.node_id, "bad_head", st.error().ToString()));
  }
  if (res.applied > 0) ENTENTE_TRY(RetryPending());
  return res;
}

Result<bool> Federation::NamesUnknownOrg(const journal::Envelope& env) {
  for (const auto& org : NamedOrgs(env)) {
    if (org == env.author_org) continue;  // a self-signed creation names itself
    if (ENTENTE_TRY(audience_.HomeNode(org)).empty()) return true;
  }
  return false;
}

Result<int> Federation::RetryPending() {
  int applied = 0;
  for (int round = 0; round < 10; ++round) {
    auto rows = ENTENTE_TRY(db_.Query(
        "SELECT id, peer, envelope, attempts, home FROM federation_pending ORDER BY created, id "
        "LIMIT 1000"));
    if (rows.empty()) break;
    int progress = 0;
    for (const auto& r : rows) {
      std::string id = r.Text(0), peer = r.Text(1);
      auto j = jcs::ParseUntrusted(r.Text(2), {.max_bytes = 64u << 20,
                                               .max_depth = 64,
                                               .max_string_bytes = 64u << 20,
                                               .max_elements = 10'000'000});
      auto env = j ? journal::Envelope::FromJson(*j)
                   : Result<journal::Envelope>(std::unexpected(j.error()));
      Status st;
      std::string reason;
      std::optional<HomeEndorsement> home;
      if (auto h = jcs::ParseUntrusted(r.Text(4)); h && h->is_object() && h->contains("key") &&
                                                   h->contains("sig") && (*h)["key"].is_string() &&
                                                   (*h)["sig"].is_string())
        home = HomeEndorsement{(*h)["key"].get<std::string>(), (*h)["sig"].get<std::string>()};
      std::string claim_detail;
      bool endorsed = false;
      if (!env) {
        reason = kRejectMalformed;
      } else if (auto cs = CheckHomeClaim(*env, home, claim_detail, endorsed); !cs) {
        if (claim_detail.empty()) return std::unexpected(cs.error());
        reason = kRejectHomeClaim;
        st = std::unexpected(cs.error());
      } else {
        if (!endorsed) home.reset();
        auto v = ENTENTE_TRY(MayHold(*env, self_.id, audience_));
        auto from = GetPeer(peer);
        if (v == Verdict::kDenied && audience_.Relayable(*env) && (!from || !from->relay)) {
          reason = kRejectRelayRefused;
        } else if (v == Verdict::kDenied && audience_.Relayable(*env)) {
          ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
            ENTENTE_TRY(KeepRelay(tx, *env, r.Text(2), peer));
            ENTENTE_TRY(tx.Exec("DELETE FROM federation_pending WHERE id = ?", {id}));
            return Ok();
          }));
          ++progress;
          continue;
        } else if (v == Verdict::kDenied) {
          reason = kRejectPolicy;
        } else if (v == Verdict::kAllowed && !ENTENTE_TRY(NamesUnknownOrg(*env))) {
          st = db_.Transact([&](store::Tx& tx) -> Status {
            ENTENTE_CHECK(ingress_.Record(tx, *env));
            ENTENTE_CHECK(KeepHome(tx, env->id, home));
            ENTENTE_TRY(tx.Exec("DELETE FROM federation_pending WHERE id = ?", {id}));
            return Ok();
          });
          if (st) {
            ++applied;
            ++progress;
            continue;
          }
          Outcome o = Classify(st.error());
          if (o == Outcome::kReplayed) reason = kRejectReplayed;
          if (o == Outcome::kForged) reason = kRejectForged;
          if (o == Outcome::kInvalid) reason = kRejectInvalid;
        }
      }
      std::int64_t attempts = r.Int(3) + 1;
      if (reason.empty() && attempts >= opts_.max_pending_attempts) reason = kRejectInvalid;
      if (!reason.empty()) {
        ENTENTE_CHECK(CountRejection(
            peer, reason, id + (st ? std::string(" (pending)") : ": " + st.error().ToString())));
        ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
          ENTENTE_TRY(tx.Exec("DELETE FROM federation_pending WHERE id = ?", {id}));
          return Ok();
        }));
        ++progress;
      } else {
        ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
          ENTENTE_TRY(
              tx.Exec("UPDATE federation_pending SET attempts = ? WHERE id = ?", {attempts, id}));
          return Ok();
        }));
      }
    }
    if (progress == 0) break;
  }
  return applied;
}

// ---- gossip --------------------------------------------------------------------

Result<std::vector<std::uint8_t>> Federation::KeyOf(const std::string& node) {
  if (node == self_.id)
    return std::vector<std::uint8_t>(self_.public_key.begin(), self_.public_key.end());
  auto rows = ENTENTE_TRY(db_.Query("SELECT public_key FROM peers WHERE node_id = ?", {node}));
  if (rows.empty()) return Fail(ErrorCode::kNotFound, "node " + node + " is not a peer");
  auto k = crypto::Base64UrlDecode(rows[0].Text(0));
  if (!k) return Fail(ErrorCode::kDataLoss, "pinned key of " + node + " is corrupt");
  return *k;
}

Status Federation::RaiseAlert(const std::string& log_node, const std::string& kind,
                              const std::string& detail, const Json& evidence) {
  std::string id =
      crypto::HexEncode(crypto::Sha256(crypto::AsBytes(kind + evidence.dump()))).substr(0, 32);
  spdlog::error("federation: {} of node {}: {}", kind, log_node.substr(0, 16), detail);
  return db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO federation_alerts (id, log_node, kind, detail, evidence, created) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                {id, log_node, kind, detail, evidence.dump(), clock_.NowMillis()}));
    return Ok();
  });
}

Status Federation::CheckPair(const std::string& log_node, const Json& a_json, const Json& b_json) {
  auto a = ENTENTE_TRY(transparency::SignedTreeHead::FromJson(a_json));
  auto b = ENTENTE_TRY(transparency::SignedTreeHead::FromJson(b_json));
  if (a.tree_size > b.tree_size) std::swap(a, b);
  Json evidence = {{"first", a.ToJson()}, {"second", b.ToJson()}};
  if (a.tree_size == b.tree_size) {
    if (a.root_hash != b.root_hash)
      return RaiseAlert(
          log_node, "inconsistent_history",
          "two signed heads of size " + std::to_string(a.tree_size) + " with different roots",
          evidence);
    return Ok();
  }
  if (a.tree_size == 0) return Ok();
  std::string key = log_node + ":" + std::to_string(a.tree_size) + ":" +
                    transparency::HashHex(a.root_hash) + ":" + std::to_string(b.tree_size) + ":" +
                    transparency::HashHex(b.root_hash);
  {
    std::lock_guard lock(checked_mu_);
    if (checked_pairs_.contains(key)) return Ok();
  }
  std::vector<transparency::Hash> proof;
  if (log_node == self_.id) {
    auto p = log_.ConsistencyProof(a.tree_size, b.tree_size);
    if (!p)
      return RaiseAlert(log_node, "inconsistent_history",
                        "no consistency proof between sizes " + std::to_string(a.tree_size) +
                            " and " + std::to_string(b.tree_size) + ": " + p.error().ToString(),
                        evidence);
    proof = *p;
  } else {
    auto peer = GetPeer(log_node);
    if (!peer || peer->state != PeerState::kActive) return Ok();  // cannot ask now
    auto r = SignedGet(
        *peer, "/federation/v1/consistency",
        {{"first", std::to_string(a.tree_size)}, {"second", std::to_string(b.tree_size)}});
    if (!r) {
      if (r.error().code == ErrorCode::kUnavailable &&
          r.error().message.find(" 422") == std::string::npos &&
          r.error().message.find(" 400") == std::string::npos)
        return Ok();  // unreachable: check later
      return RaiseAlert(
          log_node, "inconsistent_history",
          "the node refused a consistency proof between heads it signed: " + r.error().ToString(),
          evidence);
    }
    auto j = jcs::ParseUntrusted(r->body);
    if (!j || !j->is_object() || !j->contains("proof") || !(*j)["proof"].is_array())
      return RaiseAlert(log_node, "bad_head", "malformed consistency proof", evidence);
    for (const auto& h : (*j)["proof"]) {
      if (!h.is_string()) return RaiseAlert(log_node, "bad_head", "malformed proof hash", evidence);
      auto hb = crypto::HexDecode(h.get<std::string>());
      if (!hb || hb->size() != 32)
        return RaiseAlert(log_node, "bad_head", "malformed proof hash", evidence);
      transparency::Hash hh{};
      std::copy(hb->begin(), hb->end(), hh.begin());
      proof.push_back(hh);
    }
  }
  auto st =
      transparency::VerifyConsistency(a.tree_size, b.tree_size, a.root_hash, b.root_hash, proof);
  if (!st)
    return RaiseAlert(log_node, "inconsistent_history",
                      "heads of sizes " + std::to_string(a.tree_size) + " and " +
                          std::to_string(b.tree_size) +
                          " are not consistent: " + st.error().ToString(),
                      evidence);
  std::lock_guard lock(checked_mu_);
  checked_pairs_.insert(key);
  return Ok();
}

Status Federation::ObserveHead(const Json& sth_json, const std::string& via) {
  auto sth = ENTENTE_TRY(transparency::SignedTreeHead::FromJson(sth_json));
  auto key = KeyOf(sth.node_id);
  if (!key) return Ok();  // a node we do not know: nothing to check it with
  ENTENTE_CHECK(transparency::VerifyTreeHead(sth, *key));
  std::string root = transparency::HashHex(sth.root_hash);
  std::string text = sth.ToJson().dump();
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_TRY(
        tx.Exec("INSERT INTO federation_heads (log_node, seen_via, tree_size, root, sth, seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (log_node, seen_via, tree_size) DO NOTHING",
                {sth.node_id, via, static_cast<std::int64_t>(sth.tree_size), root, text,
                 clock_.NowMillis()}));
    return Ok();
  }));
  // Against every other head of that log: same size must have the same root;
  // the nearest smaller and larger must be consistent with it.
  auto same = ENTENTE_TRY(db_.Query(
      "SELECT sth FROM federation_heads WHERE log_node = ? AND tree_size = ? AND root <> ? "
      "LIMIT 1",
      {sth.node_id, static_cast<std::int64_t>(sth.tree_size), root}));
  for (const auto& r : same) {
    auto other = jcs::ParseUntrusted(r.Text(0));
    if (other) ENTENTE_CHECK(CheckPair(sth.node_id, *other, sth.ToJson()));
  }
  if (sth.node_id == self_.id) {
    // A head of our own log shown back to us: compare with our log.
    auto size = ENTENTE_TRY(log_.Size());
    if (sth.tree_size <= size) {
      auto ours = ENTENTE_TRY(log_.RootAt(sth.tree_size));
      if (ours != sth.root_hash)
        ENTENTE_CHECK(RaiseAlert(self_.id, "inconsistent_history",
                                 "a peer shows a head of this node's log that this node never had",
                                 {{"head", sth.ToJson()}, {"via", via}}));
    }
    return Ok();
  }
  auto below =
      ENTENTE_TRY(db_.Query("SELECT sth FROM federation_heads WHERE log_node = ? AND tree_size < ? "
                            "ORDER BY tree_size DESC LIMIT 1",
                            {sth.node_id, static_cast<std::int64_t>(sth.tree_size)}));
  auto above =
      ENTENTE_TRY(db_.Query("SELECT sth FROM federation_heads WHERE log_node = ? AND tree_size > ? "
                            "ORDER BY tree_size LIMIT 1",
                            {sth.node_id, static_cast<std::int64_t>(sth.tree_size)}));
  for (const auto* rows : {&below, &above}) {
    for (const auto& r : *rows) {
      auto other = jcs::ParseUntrusted(r.Text(0));
      if (other) ENTENTE_CHECK(CheckPair(sth.node_id, *other, sth.ToJson()));
    }
  }
  return Ok();
}

Result<std::vector<Alert>> Federation::Alerts() {
  auto rows = ENTENTE_TRY(
      db_.Query("SELECT id, log_node, kind, detail, evidence, created FROM federation_alerts "
                "ORDER BY created DESC, id LIMIT 500"));
  std::vector<Alert> out;
  for (const auto& r : rows) {
    Alert a;
    a.id = r.Text(0);
    a.log_node = r.Text(1);
    a.kind = r.Text(2);
    a.detail = r.Text(3);
    auto ev = jcs::ParseUntrusted(r.Text(4), {.max_bytes = 1 << 20});
    a.evidence = ev ? *ev : Json(nullptr);
    a.created = r.Int(5);
    out.push_back(std::move(a));
  }
  return out;
}

// ---- pullers -------------------------------------------------------------------

void Federation::Start() {
  std::lock_guard lock(mu_);
  if (manager_.joinable()) return;
  stop_ = false;
  manager_ = std::thread([this] { ManagerLoop(); });
}

void Federation::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (manager_.joinable()) manager_.join();
  for (auto& [id, w] : workers_)
    if (w->thread.joinable()) w->thread.join();
  workers_.clear();
}

void Federation::ManagerLoop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    // Our own signed tree head, for the gossip.
    if (auto st = log_.Issue(transparency::IssuePolicy::kIfGrown); !st)
      spdlog::warn("federation: signing a tree head: {}", st.error().ToString());
    if (auto pruned = PruneRelay(); !pruned)
      spdlog::warn("federation: pruning relayed envelopes: {}", pruned.error().ToString());
    auto peers = ListPeers();
    lock.lock();
    if (stop_) break;
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->second->done) {
        it->second->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    if (peers) {
      for (const auto& p : *peers) {
        if (p.state != PeerState::kActive || workers_.contains(p.node_id)) continue;
        auto w = std::make_unique<Worker>();
        Worker* raw = w.get();
        std::string id = p.node_id;
        w->thread = std::thread([this, id, raw] { WorkerLoop(id, raw); });
        workers_[id] = std::move(w);
      }
    } else {
      spdlog::warn("federation: listing peers: {}", peers.error().ToString());
    }
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<Millis>(opts_.idle_ms, 100) * 5));
  }
}

void Federation::WorkerLoop(const std::string& peer_id, Worker* w) {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    auto peer = GetPeer(peer_id);
    if (!peer || peer->state != PeerState::kActive) break;
    Millis wait = 0;
    Millis now = clock_.NowMillis();
    if (peer->next_retry > now) {
      wait = std::min(peer->next_retry - now, opts_.backoff_max_ms);
    } else {
      auto r = PullOnce(peer_id);
      if (!r) {
        spdlog::warn("federation: pull from {}: {}", peer_id.substr(0, 16), r.error().ToString());
        continue;  // next_retry is set: wait above
      }
      if (!r->more) wait = opts_.idle_ms;
    }
    if (wait > 0) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(wait), [this] { return stop_; });
    }
  }
  w->done = true;
}

}  // namespace entente::federation
