// Scanning logs against an index: streams a file (memory-mapped) in chunks
// split at line boundaries, parses and matches the chunks on worker threads,
// and writes the hits in file order as JSON lines or CSV with their context
// (file, line number, field, value, indicators).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "match/index.h"
#include "match/readers.h"

namespace entente::match {

enum class OutFormat { kJsonLines, kCsv };

struct ScanOptions {
  bool auto_format = true;
  FormatSpec format;  // when !auto_format
  OutFormat out = OutFormat::kJsonLines;
  int threads = 0;  // 0: hardware concurrency
  std::size_t chunk_bytes = 4 << 20;
  Millis now = 0;  // validity checked against this time (0: not checked)
  std::size_t max_reported_malformed = 20;
  // BIND and Unbound logs take a fast path (same answers); false sends every
  // line through the generic reader (tests and benchmarks compare the two).
  bool fast_paths = true;
  // Called from the writing thread with (bytes done, bytes total) after each chunk.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct MalformedLine {
  std::uint64_t line;
  std::string error;
};

struct ScanStats {
  std::string file;
  std::string format;
  std::uint64_t bytes = 0, lines = 0, values = 0, invalid_values = 0, ignored = 0, malformed = 0;
  std::uint64_t hits = 0;       // values with at least one indicator
  std::uint64_t hit_lines = 0;  // lines with at least one hit
  bool truncated = false;       // the file does not end with a newline
  std::vector<MalformedLine> first_malformed;
};

// One hit as JSON: id, kind, match (exact/subdomain/cidr/regex), prefix (for
// CIDR), tlp, pap, community, confidence (null when unknown), valid_from and
// valid_until (RFC 3339 or null).
nlohmann::ordered_json HitJson(const Index& index, const Hit& hit);

// Writes the CSV header line (for OutFormat::kCsv).
void WriteCsvHeader(std::FILE* out);

// NormalizeDomainFast (match/normalize.h) into `out` (at least 256 bytes),
// for the scanner's hot path: the length, or -1 when the slow path must
// decide (exactly when NormalizeDomainFast returns false).
int NormalizeDomainInto(std::string_view in, char* out);

// Scans one file, writing hits to `out`. Fails only when the file cannot be
// read; bad lines are counted in the stats.
Result<ScanStats> ScanFile(const std::string& path, std::shared_ptr<const Index> index,
                           const ScanOptions& options, std::FILE* out);

// Scans a buffer (the same machinery; `name` is used as the file name).
ScanStats ScanBuffer(std::string_view data, const std::string& name,
                     std::shared_ptr<const Index> index, const ScanOptions& options,
                     std::FILE* out);

}  // namespace entente::match
