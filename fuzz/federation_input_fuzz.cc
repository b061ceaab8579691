// Fuzzes what a node reads from its peers: feed pages (structure, then every
// envelope and the distribution/TLP policy on it) and the signed request
// headers of node-to-node requests. Nothing may crash; a random request must
// never verify under a fixed key; a parsed page keeps its invariants.
//
// Input: first byte 'H' = headers ("Name: value" lines), 'I' = the body of
// an introduction (the rest), anything else = a feed page (the whole input).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "federation/feed.h"
#include "federation/policy.h"
#include "federation/signed_request.h"
#include "journal/envelope.h"

using namespace entente;

namespace {

class FixedAudience final : public federation::Audience {
 public:
  Result<std::string> HomeNode(const std::string& org) override {
    if (org.empty()) return std::string();
    return std::string(org.size() % 2 ? "node-a" : "node-b");
  }
  Result<std::set<std::string>> CommunityNodes(const std::string& c) override {
    return std::set<std::string>{c.empty() ? "node-a" : "node-b"};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = crypto::Init().has_value();
  if (!init) abort();
  static const auto key = crypto::GenerateSigningKey();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && in[0] == 'H') {
    http::Headers h;
    size_t pos = 1;
    while (pos < in.size()) {
      size_t end = in.find('\n', pos);
      if (end == std::string_view::npos) end = in.size();
      std::string_view line = in.substr(pos, end - pos);
      size_t colon = line.find(": ");
      if (colon != std::string_view::npos)
        h.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
      pos = end + 1;
    }
    auto parsed = federation::ParseSignedHeaders(h);
    if (!parsed) return 0;
    if (parsed->node.size() != 64 || parsed->nonce.size() != 22 || parsed->digest.size() != 64)
      abort();
    if (federation::VerifySignedRequest(*parsed, key.public_key, std::string(64, 'b'), "GET",
                                        "/federation/v1/feed", "", parsed->date))
      abort();
    return 0;
  }
  if (!in.empty() && in[0] == 'I') {
    auto intro = federation::ParseIntroduction(in.substr(1));
    if (!intro) return 0;
    auto k = crypto::Base64UrlDecode(intro->public_key);
    if (!k || k->size() != 32 || crypto::Fingerprint(*k) != intro->node_id) abort();
    if (intro->name.size() > 200 || intro->base_url.size() > 512) abort();
    return 0;
  }
  auto page = federation::ParseFeedPage(in);
  if (!page) return 0;
  if (page->next < page->after) abort();
  std::int64_t last = page->after;
  FixedAudience audience;
  for (const auto& e : page->entries) {
    if (e.seq <= last || e.seq > page->next) abort();
    last = e.seq;
    auto env = journal::Envelope::FromJson(e.envelope);
    if (!env) continue;
    (void)federation::NamedOrgs(*env);
    (void)federation::MayHold(*env, "node-a", audience);
  }
  last = 0;
  for (const auto& e : page->relay) {
    if (e.seq <= last || e.seq > page->relay_next || e.home) abort();
    last = e.seq;
  }
  return 0;
}
