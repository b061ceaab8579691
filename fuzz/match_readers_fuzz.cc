// Log readers: the first byte picks the format, the rest is the log; every
// line is read and its values matched against a small index, through the
// same chunked scanner the CLI uses (one thread, small chunks).
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "match/index.h"
#include "match/scan.h"

using namespace entente::match;

static std::shared_ptr<const Index> MakeIndex() {
  std::vector<Indicator> in(4);
  in[0].id = "a";
  in[0].value = "bad.example";
  in[0].subdomains = true;
  in[1].id = "b";
  in[1].kind = Kind::kIp;
  in[1].value = "10.0.0.0/8";
  in[2].id = "c";
  in[2].kind = Kind::kUrl;
  in[2].value = "http://bad.example/x";
  in[3].id = "d";
  in[3].kind = Kind::kRegex;
  in[3].value = "^[a-z]{8}\\.top$";
  return Index::Build(in).value();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto index = MakeIndex();
  static std::FILE* sink = std::fopen("/dev/null", "w");
  if (size < 1) return 0;
  ScanOptions o;
  o.threads = 1;
  o.chunk_bytes = 64;
  static const FormatSpec kSpecs[] = {{LogFormat::kPlain, 1}, {LogFormat::kCsv, 2},
                                      {LogFormat::kBind, 1},  {LogFormat::kUnbound, 1},
                                      {LogFormat::kZeek, 1},  {LogFormat::kZeekJson, 1},
                                      {LogFormat::kSquid, 1}};
  std::uint8_t sel = data[0] % 8;
  if (sel == 7) {
    o.auto_format = true;
  } else {
    o.auto_format = false;
    o.format = kSpecs[sel];
  }
  o.out = (data[0] & 0x80) ? OutFormat::kCsv : OutFormat::kJsonLines;
  std::string_view log(reinterpret_cast<const char*>(data + 1), size - 1);
  ScanStats st = ScanBuffer(log, "fuzz", index, o, sink);
  if (st.lines > log.size() + 1) __builtin_trap();
  return 0;
}
