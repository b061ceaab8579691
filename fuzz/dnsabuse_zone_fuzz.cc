// Fuzzes the zone reader (RFC 1035 master files from registries and CZDS):
// it must never crash, every owner it hands over must be canonical (the
// canonical form of its absolute form is itself), and every record must come
// with a line inside the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dnsabuse/zone.h"

using namespace entente::dnsabuse;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the options.
  ZoneOptions opt;
  if (data[0] & 1) opt.origin = "example.";
  if (data[0] & 2) opt.origin = ".";
  opt.max_issues = 8;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  std::uint64_t lines = 1;
  for (char c : text) lines += c == '\n';
  std::string again;
  DelegationCounter counter;
  std::uint64_t records = 0;
  ZoneStats s = ParseZoneText(text, opt, [&](const ZoneRecord& r) {
    ++records;
    if (r.line == 0 || r.line > lines) abort();
    if (!r.rdata) abort();
    const std::string abs = r.owner.empty() ? "." : std::string(r.owner) + ".";
    if (!CanonicalName(abs, "", false, again).empty() || again != r.owner) abort();
    counter.Add(r, "example");
  });
  if (s.records != records) abort();
  if (s.issues.size() > s.errors || s.issues.size() > opt.max_issues) abort();
  for (const auto& i : s.issues)
    if (i.line > lines || i.message.empty()) abort();
  return 0;
}
