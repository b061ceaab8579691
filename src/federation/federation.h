// Federation between sovereign nodes: peers, authenticated node-to-node
// requests, pull-based replication of the journal under distribution and TLP
// rules, and transparency gossip.
//
// - Peers are pinned by the fingerprint of their node key (`AddPeer` checks
//   the identity the peer serves against the fingerprint the operator was
//   given out of band). Only ACTIVE peers may call the federation endpoints;
//   a suspended or removed peer gets nothing and is not pulled from.
// - Feed (server side): the journal in sequence order, filtered for the
//   requesting peer BEFORE it leaves (policy.h), from the peer's cursor, in
//   bounded pages. Envelopes that originate from the requester are skipped.
// - Pull (client side): one worker thread per active peer asks for pages,
//   verifies and applies every envelope through the node's Ingress (the
//   journal's registered appliers: federation reads no body), and persists
//   the peer's cursor in the same transaction as the applied envelopes.
//   Failures back off exponentially per peer; a slow or dead peer holds only
//   its own thread.
// - On receipt each envelope is checked: well-formed, origin consistent with
//   the author's home node, allowed here by policy, not already recorded (a
//   replay is idempotent and counted), signature by the author's key (through
//   the appliers). Rejections are counted per peer and reason. Envelopes that
//   depend on something not received yet wait in `federation_pending` and are
//   retried, so the order of arrival does not matter.
// - Gossip: every page carries the server's latest signed tree head and the
//   heads it has seen of other nodes. Heads are verified with the pinned keys
//   and checked against each other (same size, same root; different sizes, a
//   consistency proof from the log's node). A fork is recorded as an alert.
// - Introductions: after pinning a peer, AddPeer introduces this node to it
//   (POST /federation/v1/introduce, signed by this node's key). The peer
//   records the identity as a pending introduction that its operator sees
//   (entente peer introductions) and accepts by running peer add with our
//   fingerprint; an introduction grants nothing by itself.
// - Relay: an envelope the next node may not hold (policy.h) but that the
//   Audience says may be relayed (sealed communications and their events) is
//   sent to peers for relay when the home node of one of its named
//   organisations is not a direct peer. A relay keeps it in federation_relay
//   (never applied, never read) and serves it to the peers that may hold it,
//   or onward to other peers when the destination is not its own peer.
//
// Thread-safe. Several processes may share one database, but run the pullers
// (Start) in one of them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "federation/feed.h"
#include "federation/policy.h"
#include "http/http.h"
#include "identity/identity.h"
#include "journal/journal.h"
#include "store/store.h"
#include "transparency/log.h"

namespace entente::federation {

using Json = nlohmann::json;

enum class PeerState { kActive, kSuspended, kRemoved };
std::string_view PeerStateName(PeerState s);

struct Peer {
  std::string node_id;
  std::string base_url;
  std::string public_key;  // base64url
  PeerState state = PeerState::kActive;
  std::int64_t cursor = 0;
  std::int64_t received = 0;
  std::int64_t applied = 0;
  std::map<std::string, std::int64_t> rejected;  // reason -> count
  int failures = 0;
  std::string last_error;
  std::optional<Millis> last_success;
  Millis next_retry = 0;
  Millis created = 0;
  Millis updated = 0;
  std::int64_t relay_cursor = 0;
  // A relay link (docs/federation.md): this node offers its own envelopes for
  // relay to the peer, keeps what the peer offers for relay and forwards
  // relayed envelopes to it. Set by the operator (peer add --relay).
  bool relay = false;
  // Server side: the highest relay cursor the peer asked with (it holds every
  // relayed envelope up to it); relayed envelopes are pruned below the
  // smallest over active peers.
  std::int64_t relay_acked = 0;
  // Set by AddPeer only (not stored): how the introduction of this node to
  // the peer went ("accepted", "pending" or "failed: ...").
  std::string introduction;
  Json ToJson() const;
};

// A node that introduced itself to this one (POST /federation/v1/introduce).
struct IntroductionRecord {
  std::string node_id;
  std::string public_key;
  std::string name;
  std::string base_url;
  std::string state;  // pending | accepted
  std::int64_t times = 0;
  Millis received = 0;
  Millis updated = 0;
  Json ToJson() const;
};

// How the node records an envelope received from a peer: the journal with
// the owning module's applier, plus that module's follow-ups, inside `tx`.
class Ingress {
 public:
  virtual ~Ingress() = default;
  // `forms`, when given, is journal::CanonicalFormsOf(env).
  virtual Status Record(store::Tx& tx, const journal::Envelope& env,
                        const journal::CanonicalForms* forms = nullptr) = 0;
};

struct Options {
  int page_size = 1000;  // entries asked per page
  Millis idle_ms = 200;  // wait between pulls when a peer had nothing new
  Millis backoff_min_ms = 250;
  Millis backoff_max_ms = 30'000;
  int timeout_seconds = 5;  // per request to a peer
  int max_pending_attempts = 50;
  // Relayed envelopes: kept at least relay_min_age_ms once every active peer
  // pulled past them (for inspection), at most relay_max_age_ms in any case.
  Millis relay_min_age_ms = 3600LL * 1000;
  Millis relay_max_age_ms = 30LL * 24 * 3600 * 1000;
};

struct PullResult {
  int received = 0;
  int applied = 0;
  int rejected = 0;
  int pending = 0;
  bool more = false;
  std::int64_t cursor = 0;
  Json ToJson() const;
};

struct Alert {
  std::string id;
  std::string log_node;
  std::string kind;  // inconsistent_history | bad_head
  std::string detail;
  Json evidence;
  Millis created = 0;
  Json ToJson() const;
};

class Federation {
 public:
  Federation(store::Database& db, journal::Journal& journal, transparency::Log& log,
             identity::NodeInfo self, crypto::SecretBytes node_secret, Audience& audience,
             Ingress& ingress, const Clock& clock, Options options = {});
  ~Federation();

  // ---- peers
  // Fetches `base_url`/api/v1/node, checks that its key's fingerprint is
  // `fingerprint` (and its id), and pins it. Re-adding a removed or suspended
  // peer with the same key makes it active again (its cursor kept).
  Result<Peer> AddPeer(const std::string& base_url, const std::string& fingerprint);
  // Pins a peer whose identity is already known (tests, simulator).
  Result<Peer> AddPeerKnown(const std::string& base_url, const std::string& node_id,
                            const std::string& public_key_b64);
  Result<std::vector<Peer>> ListPeers();
  Result<Peer> GetPeer(const std::string& node_id);
  Status SetState(const std::string& node_id, PeerState state);
  // Marks or unmarks the peering as a relay link.
  Status SetRelay(const std::string& node_id, bool relay);
  // This node's identity as peers see it (id = fingerprint, key, URL, name).
  Json Self() const;
  // The name shown to peers in introductions (the node's own organisation).
  void SetName(std::string name);
  // Introductions received, pending first.
  Result<std::vector<IntroductionRecord>> Introductions();

  // ---- server side
  // The active peer that signed `req`; kUnauthenticated otherwise (counted
  // against the peer when it is known).
  Result<std::string> Authenticate(const http::Request& req);
  // Records the introduction `req` carries (signed by the key it presents).
  // {"state": "pending"|"accepted"}; kUnauthenticated when the signature does
  // not verify, kConflict when the node id is pinned with another key,
  // kResourceExhausted when too many introductions are pending.
  Result<Json> Introduce(const http::Request& req);
  // The feed page for `peer` after `after` (at most `limit` entries), with
  // the envelopes relayed for it after `relay_after`.
  Result<std::string> Feed(const std::string& peer, std::int64_t after, int limit,
                           std::int64_t relay_after = 0);
  Result<Json> Consistency(std::uint64_t first, std::uint64_t second);

  // ---- client side
  // One page from `peer`, applied. Records failures (error, backoff) on the peer.
  Result<PullResult> PullOnce(const std::string& peer);
  // Pulls until the peer has nothing more (at most `max_pages` pages).
  Result<PullResult> Sync(const std::string& peer, int max_pages = 1000);
  // Applies a page received from `peer` (exposed for tests).
  Result<PullResult> IngestPage(const Peer& peer, const FeedPage& page);
  // Retries envelopes waiting for their dependencies; returns how many applied.
  Result<int> RetryPending();
  // Deletes relayed envelopes every active peer has pulled past (relay_acked)
  // once older than Options::relay_min_age_ms, and any older than
  // relay_max_age_ms; returns how many. Run by the pullers' manager.
  Result<int> PruneRelay();

  // ---- gossip
  // Records a signed tree head of some node shown by `via` ("" = the node
  // itself) and checks it against the heads already seen.
  Status ObserveHead(const Json& sth, const std::string& via);
  Result<std::vector<Alert>> Alerts();

  // Signed GET to a peer (for the gossip's consistency proofs and tests).
  Result<http::ClientResponse> SignedGet(const Peer& peer, const std::string& path,
                                         const std::multimap<std::string, std::string>& query);

  // Starts one puller thread per active peer (re-checked every idle period).
  void Start();
  void Stop();

  const identity::NodeInfo& self() const { return self_; }

 private:
  struct Worker;
  void ManagerLoop();
  void WorkerLoop(const std::string& peer, Worker* w);
  // Sends this node's introduction to `peer`: "accepted", "pending", or
  // "failed: ..." (peering works without it; the peer's operator must add us).
  std::string IntroduceTo(const Peer& peer);
  // Records the nonce of a verified request; false when already seen.
  Result<bool> ClaimNonce(const std::string& node, const std::string& nonce, Millis date);
  // Whether `env` must be relayed to reach one of its named organisations'
  // home nodes: one is homed on a node that is neither `to`, this node nor an
  // active peer of this node.
  Result<bool> NeedsRelay(const journal::Envelope& env, const std::string& to);
  // Stores envelopes received for relay (their form and origin checked).
  Status KeepRelay(store::Tx& tx, const journal::Envelope& env, const std::string& canonical,
                   const std::string& from);
  Status CountRejection(const std::string& peer, const std::string& reason,
                        const std::string& detail, std::int64_t n = 1);
  Status RecordFailure(const std::string& peer, const Error& e);
  Status RaiseAlert(const std::string& log_node, const std::string& kind, const std::string& detail,
                    const Json& evidence);
  Result<std::vector<std::uint8_t>> KeyOf(const std::string& node);
  // Whether `env` names an organisation (besides its author) this node does
  // not know yet: it then waits in federation_pending.
  Result<bool> NamesUnknownOrg(const journal::Envelope& env);
  Status CheckPair(const std::string& log_node, const Json& a, const Json& b);
  // Home claims (policy.h): the endorsement member of a feed entry ("" or
  // `,"home":{...}`); the check on receipt (fails with `detail` set when the
  // claim is refused; `endorsed` when an endorsement was verified); keeping a
  // verified endorsement to relay it.
  std::string SignHome(const std::string& envelope_id, const std::string& canonical);
  Result<std::string> HomeMember(const journal::Envelope& env, const std::string& canonical);
  Status CheckHomeClaim(const journal::Envelope& env, const std::optional<HomeEndorsement>& home,
                        std::string& detail, bool& endorsed);
  Status KeepHome(store::Tx& tx, const std::string& envelope_id,
                  const std::optional<HomeEndorsement>& home);

  store::Database& db_;
  journal::Journal& journal_;
  transparency::Log& log_;
  identity::NodeInfo self_;
  crypto::SecretBytes secret_;
  Audience& audience_;
  Ingress& ingress_;
  const Clock& clock_;
  Options opts_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread manager_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  mutable std::mutex name_mu_;
  std::string name_;
  std::mutex checked_mu_;
  std::set<std::string> checked_pairs_;
};

// Rejection reasons (the counters' names).
inline constexpr const char* kRejectMalformed = "malformed";
inline constexpr const char* kRejectForged = "forged";
inline constexpr const char* kRejectAltered = "altered";
inline constexpr const char* kRejectOrigin = "origin";
inline constexpr const char* kRejectPolicy = "out_of_policy";
inline constexpr const char* kRejectReplayed = "replayed";
inline constexpr const char* kRejectInvalid = "invalid";
// An organisation homed on a node that did not write or endorse it.
inline constexpr const char* kRejectHomeClaim = "home_claim";
// An envelope offered for relay by a peer that is not a relay link here.
inline constexpr const char* kRejectRelayRefused = "relay_refused";
inline constexpr const char* kRejectRequestSignature = "request_signature";
inline constexpr const char* kRejectRequestReplay = "request_replayed";
// Pending introductions kept at most (more are refused until some are accepted).
inline constexpr int kMaxPendingIntroductions = 1000;

}  // namespace entente::federation
