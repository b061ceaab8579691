// The feed page a node serves to a peer (GET /federation/v1/feed) and its
// strict reader, used on every page received from a peer:
//
//   {"node": ID, "after": N, "next": N, "more": bool,
//    "entries": [{"seq": N, "envelope": {...}, "home"?: {"key": K, "sig": S}}, ...],
//    "sth": {signed tree head} | null, "heads": [{signed tree head}, ...],
//    "relay"?: [{"seq": N, "envelope": {...}}, ...], "relay_next"?: N}
//
// `relay` carries envelopes the server holds only to relay them (its
// federation_relay table, its own sequence, the peer's relay cursor; entries
// in strictly increasing seq, all <= relay_next).
//
// `home` is the endorsement of an organisation's creation by its home node
// (policy.h: HomeEndorsementMessage; K its node key, S the Ed25519 signature,
// both base64url), checked on receipt. Entries are in strictly increasing
// `seq`, all in (after, next]. Envelopes are
// parsed later, one by one (a bad envelope is rejected and counted, the page
// is not). Pure functions; untrusted input: fuzzed.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace entente::federation {

using Json = nlohmann::json;

inline constexpr int kMaxPageEntries = 2000;
inline constexpr int kMaxHeads = 64;

struct HomeEndorsement {
  std::string key;  // base64url Ed25519 public key of the claimed home node
  std::string sig;  // base64url signature over HomeEndorsementMessage
};

struct FeedEntry {
  std::int64_t seq = 0;
  Json envelope;
  std::optional<HomeEndorsement> home;
};

struct FeedPage {
  std::string node;
  std::vector<FeedEntry> relay;  // home is never set
  std::int64_t relay_next = 0;
  std::int64_t after = 0;
  std::int64_t next = 0;
  bool more = false;
  std::vector<FeedEntry> entries;
  std::optional<Json> sth;
  std::vector<Json> heads;
};

// Parses the text of a page (bounded JSON) and checks its structure; errors
// name the member ("entries[3].seq").
Result<FeedPage> ParseFeedPage(std::string_view text);

// The body of POST /federation/v1/introduce: a node introducing itself,
//   {"node_id": ID, "public_key": K, "name": S, "base_url": URL}
// exactly these members; node_id 64 lower-case hex digits, K base64url of 32
// bytes whose fingerprint is node_id, name 0..200 characters, base_url
// http(s) without query, at most 512. Untrusted input: fuzzed.
struct Introduction {
  std::string node_id;
  std::string public_key;  // base64url
  std::string name;
  std::string base_url;
};
Result<Introduction> ParseIntroduction(std::string_view text);

}  // namespace entente::federation
