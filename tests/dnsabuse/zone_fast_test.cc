// The zone reader's paths must hand over exactly the same records, issues and
// counts: files (plain, gzip, a pipe) are read into a buffer in blocks, and
// text given in memory (ParseZoneText, also what the fuzz target drives) is
// parsed in place in windows of up to kMaxRecordBytes. Each test compares
// them on the real root zone and on a generated zone larger than one 8 MB
// window, with a record spread over lines across the window boundary.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dnsabuse/zone.h"

namespace entente::dnsabuse {
namespace {

namespace fs = std::filesystem;

struct Parsed {
  std::string records;  // one line per record: line owner type ttl rdata...
  std::string issues;
  std::uint64_t bytes = 0, count = 0, errors = 0;
  std::string apex;
};

RecordFn Collect(Parsed& p) {
  return [&p](const ZoneRecord& r) {
    p.records += std::to_string(r.line) + " " + std::string(r.owner) + " " +
                 std::to_string(r.type) + " " + std::to_string(r.ttl);
    for (std::string_view v : *r.rdata) {
      p.records += ' ';
      p.records += v;
    }
    p.records += '\n';
  };
}

void Finish(Parsed& p, const ZoneStats& s) {
  p.bytes = s.bytes;
  p.count = s.records;
  p.errors = s.errors;
  p.apex = s.apex;
  for (const auto& i : s.issues) p.issues += std::to_string(i.line) + " " + i.message + "\n";
}

Parsed FromFile(const std::string& path, const std::string& display) {
  Parsed p;
  ZoneOptions o;
  o.display_name = display;
  std::string hashed;
  o.on_bytes = [&](std::string_view b) { hashed += b; };
  auto s = ReadZoneFile(path, o, Collect(p));
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  if (s) Finish(p, *s);
  p.records += "hashed " + std::to_string(hashed.size()) + " " +
               std::to_string(std::hash<std::string>{}(hashed)) + "\n";
  return p;
}

Parsed FromText(const std::string& text, const std::string& display) {
  Parsed p;
  ZoneOptions o;
  o.display_name = display;
  std::string hashed;
  o.on_bytes = [&](std::string_view b) { hashed += b; };
  Finish(p, ParseZoneText(text, o, Collect(p)));
  p.records += "hashed " + std::to_string(hashed.size()) + " " +
               std::to_string(std::hash<std::string>{}(hashed)) + "\n";
  return p;
}

class ZonePaths : public testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "entente-zone-fast-XXXXXX").string();
    ASSERT_NE(mkdtemp(t.data()), nullptr);
    dir_ = t;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Parses `text` as a plain file, a gzip file, through a pipe (a FIFO)
  // and in memory; all four must agree.
  void ExpectSamePaths(const std::string& text) {
    const std::string plain = (dir_ / "zone").string();
    std::ofstream(plain, std::ios::binary) << text;
    const std::string gz = (dir_ / "zone.gz").string();
    gzFile g = gzopen(gz.c_str(), "wb1");
    ASSERT_NE(g, nullptr);
    for (std::size_t off = 0; off < text.size(); off += 1 << 20) {
      const unsigned n = static_cast<unsigned>(std::min<std::size_t>(1 << 20, text.size() - off));
      ASSERT_EQ(gzwrite(g, text.data() + off, n), static_cast<int>(n));
    }
    gzclose(g);
    const std::string fifo = (dir_ / "fifo").string();
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&] {
      int fd = ::open(fifo.c_str(), O_WRONLY);
      if (fd < 0) return;
      for (std::size_t off = 0; off < text.size();) {
        ssize_t n = ::write(fd, text.data() + off, std::min<std::size_t>(65536, text.size() - off));
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
      }
      ::close(fd);
    });
    Parsed mapped = FromFile(plain, "z");
    Parsed zipped = FromFile(gz, "z");
    Parsed piped = FromFile(fifo, "z");
    writer.join();
    Parsed memory = FromText(text, "z");
    EXPECT_GT(mapped.count, 0u);
    EXPECT_EQ(mapped.bytes, text.size());
    for (const Parsed* other : {&zipped, &piped, &memory}) {
      EXPECT_EQ(mapped.records, other->records);
      EXPECT_EQ(mapped.issues, other->issues);
      EXPECT_EQ(mapped.bytes, other->bytes);
      EXPECT_EQ(mapped.count, other->count);
      EXPECT_EQ(mapped.errors, other->errors);
      EXPECT_EQ(mapped.apex, other->apex);
    }
  }

  fs::path dir_;
};

TEST_F(ZonePaths, RootZone) {
  const char* src = std::getenv("ENTENTE_SOURCE_DIR");
  std::ifstream in(std::string(src ? src : ".") + "/tests/dnsabuse/data/root.zone",
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_GT(ss.str().size(), 1000000u);
  ExpectSamePaths(ss.str());
}

// Larger than the 8 MB first window, with records of every kind, errors,
// and a record in parentheses over several lines across the boundary, and
// no newline at the end.
TEST_F(ZonePaths, GeneratedZoneAcrossWindows) {
  std::string z =
      "$ORIGIN bench.\n$TTL 86400\n"
      "@ 900 IN SOA a.nic.bench. hostmaster.nic.bench. ( 2024030100 1800 900 604800 86400 )\n"
      "@ IN NS a.nic.bench.\n";
  std::uint64_t i = 0;
  while (z.size() < (std::size_t{8} << 20) - 300) {
    const std::string l = "d" + std::to_string(i);
    z += l + " 172800 IN NS ns1.example.net.\n" + l + " IN NS ns2\n";
    if (i % 8 == 0) z += l + " 3600 DS 12345 13 2 ABCDEF0123456789 ; comment\n";
    if (i % 97 == 0) z += l + " 172800 IN A 300.1.1.1\n";  // an issue
    if (i % 101 == 0) z += "\tIN TXT \"a ; b\" \"c\\\"d\"\n";
    if (i % 103 == 0) z += "ns." + l + " 1h IN AAAA 2001:db8::1\n";
    ++i;
  }
  z += "multi 3600 IN SOA a.nic.bench. h.bench. (\n";
  for (int k = 0; k < 40; ++k) z += "   ; a comment line inside the parentheses\n";
  z += "  1 2 3 4 5 )\n";
  while (z.size() < (std::size_t{9} << 20)) {
    const std::string l = "e" + std::to_string(i++);
    z += l + " 172800 IN NS ns1.example.net.\n";
  }
  z += "last 60 IN NS ns.last.";
  ExpectSamePaths(z);
}

}  // namespace
}  // namespace entente::dnsabuse
