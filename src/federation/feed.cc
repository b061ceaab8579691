#include "federation/feed.h"

#include <algorithm>
#include <set>

#include "crypto/crypto.h"
#include "jcs/jcs.h"

namespace entente::federation {

namespace {

Result<std::int64_t> NonNegative(const Json& j, const std::string& field) {
  if (!j.is_number_integer() && !j.is_number_unsigned())
    return Invalid("must be a non-negative integer", field);
  if (j.is_number_unsigned()) {
    auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return Invalid("is too large", field);
    return static_cast<std::int64_t>(u);
  }
  auto v = j.get<std::int64_t>();
  if (v < 0) return Invalid("must be a non-negative integer", field);
  return v;
}

}  // namespace

Result<FeedPage> ParseFeedPage(std::string_view text) {
  auto parsed = jcs::ParseUntrusted(text, {.max_bytes = 64u << 20,
                                           .max_depth = 48,
                                           .max_string_bytes = 16u << 20,
                                           .max_elements = 5'000'000});
  if (!parsed) {
    Error e = parsed.error();
    e.field = "page";
    return std::unexpected(e);
  }
  const Json& j = *parsed;
  if (!j.is_object()) return Invalid("must be an object", "page");
  static const std::set<std::string> kMembers = {"node", "after", "next",  "more",      "entries",
                                                 "sth",  "heads", "relay", "relay_next"};
  for (const auto& [k, v] : j.items())
    if (!kMembers.contains(k)) return Invalid("unknown member", k);
  for (const char* k : {"node", "after", "next", "more", "entries"})
    if (!j.contains(k)) return Invalid("missing member", k);
  FeedPage p;
  if (!j["node"].is_string() || j["node"].get_ref<const std::string&>().size() != 64)
    return Invalid("must be a node id", "node");
  p.node = j["node"].get<std::string>();
  p.after = ENTENTE_TRY(NonNegative(j["after"], "after"));
  p.next = ENTENTE_TRY(NonNegative(j["next"], "next"));
  if (p.next < p.after) return Invalid("must not be less than after", "next");
  if (!j["more"].is_boolean()) return Invalid("must be a boolean", "more");
  p.more = j["more"].get<bool>();
  const Json& entries = j["entries"];
  if (!entries.is_array()) return Invalid("must be an array", "entries");
  if (entries.size() > kMaxPageEntries)
    return Invalid("has more than " + std::to_string(kMaxPageEntries) + " entries", "entries");
  std::int64_t last = p.after;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string f = "entries[" + std::to_string(i) + "]";
    const Json& e = entries[i];
    if (!e.is_object() || !e.contains("seq") || !e.contains("envelope") ||
        e.size() != (e.contains("home") ? 3u : 2u))
      return Invalid("must be {seq, envelope, home?}", f);
    std::int64_t seq = ENTENTE_TRY(NonNegative(e["seq"], f + ".seq"));
    if (seq <= last) return Invalid("must be greater than the previous seq and after", f + ".seq");
    if (seq > p.next) return Invalid("must not be greater than next", f + ".seq");
    if (!e["envelope"].is_object()) return Invalid("must be an object", f + ".envelope");
    last = seq;
    std::optional<HomeEndorsement> home;
    if (e.contains("home")) {
      const Json& h = e["home"];
      if (!h.is_object() || h.size() != 2 || !h.contains("key") || !h.contains("sig") ||
          !h["key"].is_string() || !h["sig"].is_string() ||
          h["key"].get_ref<const std::string&>().size() > 64 ||
          h["sig"].get_ref<const std::string&>().size() > 128)
        return Invalid("must be {key, sig} (base64url strings)", f + ".home");
      home = HomeEndorsement{h["key"].get<std::string>(), h["sig"].get<std::string>()};
    }
    p.entries.push_back({seq, e["envelope"], std::move(home)});
  }
  if (j.contains("sth") && !j["sth"].is_null()) {
    if (!j["sth"].is_object()) return Invalid("must be an object or null", "sth");
    p.sth = j["sth"];
  }
  if (j.contains("heads")) {
    if (!j["heads"].is_array()) return Invalid("must be an array", "heads");
    if (j["heads"].size() > kMaxHeads)
      return Invalid("has more than " + std::to_string(kMaxHeads) + " heads", "heads");
    for (size_t i = 0; i < j["heads"].size(); ++i) {
      if (!j["heads"][i].is_object())
        return Invalid("must be an object", "heads[" + std::to_string(i) + "]");
      p.heads.push_back(j["heads"][i]);
    }
  }
  if (j.contains("relay_next"))
    p.relay_next = ENTENTE_TRY(NonNegative(j["relay_next"], "relay_next"));
  if (j.contains("relay")) {
    const Json& relay = j["relay"];
    if (!relay.is_array()) return Invalid("must be an array", "relay");
    if (relay.size() > kMaxPageEntries)
      return Invalid("has more than " + std::to_string(kMaxPageEntries) + " entries", "relay");
    std::int64_t prev = 0;
    for (size_t i = 0; i < relay.size(); ++i) {
      std::string f = "relay[" + std::to_string(i) + "]";
      const Json& e = relay[i];
      if (!e.is_object() || e.size() != 2 || !e.contains("seq") || !e.contains("envelope"))
        return Invalid("must be {seq, envelope}", f);
      std::int64_t seq = ENTENTE_TRY(NonNegative(e["seq"], f + ".seq"));
      if (seq <= prev) return Invalid("must be greater than the previous seq", f + ".seq");
      if (seq > p.relay_next) return Invalid("must not be greater than relay_next", f + ".seq");
      if (!e["envelope"].is_object()) return Invalid("must be an object", f + ".envelope");
      prev = seq;
      p.relay.push_back({seq, e["envelope"], std::nullopt});
    }
  }
  return p;
}

Result<Introduction> ParseIntroduction(std::string_view text) {
  auto parsed = jcs::ParseUntrusted(text, {.max_bytes = 4096, .max_depth = 4});
  if (!parsed) {
    Error e = parsed.error();
    e.field = "body";
    return std::unexpected(e);
  }
  const Json& j = *parsed;
  if (!j.is_object()) return Invalid("must be an object", "body");
  static const std::set<std::string> kMembers = {"node_id", "public_key", "name", "base_url"};
  for (const auto& [k, v] : j.items())
    if (!kMembers.contains(k)) return Invalid("unknown member", k);
  for (const auto& k : kMembers) {
    if (!j.contains(k)) return Invalid("is required", k);
    if (!j[k].is_string()) return Invalid("must be a string", k);
  }
  Introduction in;
  in.node_id = j["node_id"].get<std::string>();
  in.public_key = j["public_key"].get<std::string>();
  in.name = j["name"].get<std::string>();
  in.base_url = j["base_url"].get<std::string>();
  if (in.node_id.size() != 64 || !std::all_of(in.node_id.begin(), in.node_id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      }))
    return Invalid("must be 64 lower-case hexadecimal digits", "node_id");
  auto key = crypto::Base64UrlDecode(in.public_key);
  if (!key || key->size() != 32) return Invalid("must be a base64url Ed25519 key", "public_key");
  if (crypto::Fingerprint(*key) != in.node_id)
    return Invalid("is not the fingerprint of public_key", "node_id");
  if (in.name.size() > 200) return Invalid("must be at most 200 characters", "name");
  for (unsigned char c : in.name)
    if (c < 0x20 || c == 0x7f) return Invalid("must not contain control characters", "name");
  const std::string& u = in.base_url;
  if ((u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) || u.size() > 512 ||
      u.find_first_of(" ?#\r\n\t") != std::string::npos || u.substr(u.find("//") + 2).empty())
    return Invalid("must be a base URL like https://node.example.org:8443", "base_url");
  return in;
}

}  // namespace entente::federation
