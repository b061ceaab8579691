// The body of POST /api/v1/match (match/batch.h): the first byte picks the
// JSON or the text parser; whatever parses is answered against a small
// index, and the answer must serialise (values with invalid UTF-8 are shown
// with U+FFFD, so dump() must never throw).
#include <cstdint>
#include <string_view>

#include "match/batch.h"
#include "match/index.h"

using namespace entente::match;

namespace {

std::shared_ptr<const Index> SmallIndex() {
  std::vector<Indicator> in(4);
  in[0].id = "d";
  in[0].value = "bad.example";
  in[0].subdomains = true;
  in[1].id = "n";
  in[1].kind = Kind::kIp;
  in[1].value = "10.0.0.0/8";
  in[2].id = "u";
  in[2].kind = Kind::kUrl;
  in[2].value = "http://x.example/a";
  in[3].id = "h";
  in[3].kind = Kind::kSha1;
  in[3].value = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  return Index::Build(in).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto index = SmallIndex();
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto req = (data[0] & 1) ? ParseBatchText(body, 64) : ParseBatchJson(body, 64);
  if (!req) return 0;
  HitCounts counts;
  auto answer = AnswerBatch(*req, index, 0, &counts);
  (void)answer.dump();
  if (answer["results"].size() != req->items.size()) __builtin_trap();
  return 0;
}
