// Log readers: the first byte picks the format, the rest is the log; every
// line is read and its values matched against a small index, through the
// same chunked scanner the CLI uses (one thread, small chunks); for BIND and
// Unbound logs, the fast path is checked against the generic reader.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
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
  // BIND and Unbound logs: the fast path must write and count exactly what
  // the generic reader does.
  if (sel == 2 || sel == 3) {
    std::string out[2];
    ScanStats s[2];
    for (int fast = 0; fast < 2; ++fast) {
      char* buf = nullptr;
      std::size_t len = 0;
      std::FILE* f = open_memstream(&buf, &len);
      o.fast_paths = fast == 1;
      s[fast] = ScanBuffer(log, "fuzz", index, o, f);
      std::fclose(f);
      out[fast].assign(buf, len);
      std::free(buf);
    }
    if (out[0] != out[1] || s[0].lines != s[1].lines || s[0].values != s[1].values ||
        s[0].malformed != s[1].malformed || s[0].ignored != s[1].ignored ||
        s[0].invalid_values != s[1].invalid_values || s[0].hits != s[1].hits ||
        s[0].hit_lines != s[1].hit_lines)
      __builtin_trap();
  }
  return 0;
}
