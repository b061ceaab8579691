// Canonical JSON and strict parsing, side by side with what a C++ user would
// otherwise use: nlohmann::json::dump() (not canonical: keys in UTF-8 byte
// order, numbers in its own format) and nlohmann::json::parse() (no limits,
// duplicate keys silently kept). scripts/bench.sh prints the ratios.
#include <benchmark/benchmark.h>

#include <random>

#include "jcs/jcs.h"

using entente::jcs::Json;

namespace {

// A directory-like document: 200 organisations with names in six languages.
const Json& Document() {
  static const Json doc = [] {
    std::mt19937 rng(42);
    Json orgs = Json::array();
    for (int i = 0; i < 200; ++i) {
      orgs.push_back({{"id", "018bcfe5-687b-7000-8000-" + std::to_string(100000000000 + i)},
                      {"kind", "national_csirt"},
                      {"names",
                       {{"en", "Computer Emergency Response Team " + std::to_string(i)},
                        {"fr", "Équipe d'intervention " + std::to_string(i)},
                        {"ar", "فريق الاستجابة " + std::to_string(i)},
                        {"zh", "计算机应急响应小组 " + std::to_string(i)},
                        {"ru", "Группа реагирования " + std::to_string(i)},
                        {"es", "Equipo de respuesta " + std::to_string(i)}}},
                      {"country", "XA"},
                      {"groupings", {"EU", "OSCE"}},
                      {"score", std::uniform_real_distribution<double>(0, 1)(rng)},
                      {"created", 1700000000000LL + i}});
    }
    return Json{{"orgs", orgs}};
  }();
  return doc;
}

void BM_Canonicalize_Entente(benchmark::State& state) {
  const Json& doc = Document();
  size_t bytes = 0;
  for (auto _ : state) {
    auto s = entente::jcs::Canonicalize(doc);
    bytes += s->size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Canonicalize_Entente);

void BM_Canonicalize_NlohmannDump(benchmark::State& state) {
  const Json& doc = Document();
  size_t bytes = 0;
  for (auto _ : state) {
    auto s = doc.dump();
    bytes += s.size();
    benchmark::DoNotOptimize(s);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_Canonicalize_NlohmannDump);

void BM_Parse_EntenteUntrusted(benchmark::State& state) {
  std::string text = Document().dump();
  for (auto _ : state) {
    auto j = entente::jcs::ParseUntrusted(text);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Parse_EntenteUntrusted);

void BM_Parse_NlohmannPlain(benchmark::State& state) {
  std::string text = Document().dump();
  for (auto _ : state) {
    auto j = Json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Parse_NlohmannPlain);

}  // namespace

BENCHMARK_MAIN();
