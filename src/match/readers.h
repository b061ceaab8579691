// Log readers: one line of a log in, the values worth matching out.
//
// Formats: plain lists (one value per line, '#' comments), CSV with a chosen
// column, BIND query logs, Unbound query logs (log-queries: yes), Zeek
// dns.log (TSV with its #fields header, or JSON lines) and Squid native
// access.log. A reader never fails on a line: a line it cannot read is
// reported as malformed (with the reason) and the caller counts it and goes
// on; lines of the log that are not queries (e.g. Unbound start-up messages)
// are "ignored".
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "match/indicator.h"

namespace entente::match {

enum class LogFormat { kPlain, kCsv, kBind, kUnbound, kZeek, kZeekJson, kSquid };
std::string_view LogFormatName(LogFormat f);

struct FormatSpec {
  LogFormat format = LogFormat::kPlain;
  int csv_column = 1;  // 1-based, for kCsv
};
// "auto" is resolved by DetectFormat; otherwise "plain", "csv:N", "bind",
// "unbound", "zeek", "zeek-json", "squid".
Result<FormatSpec> ParseFormatSpec(std::string_view text);
// Guesses the format from the first bytes of a file.
FormatSpec DetectFormat(std::string_view head);

// One value found on a line. `value` points into the line (or into the
// reader's own buffer for unescaped JSON strings); `kind` is a hint:
// kDomain, kIp or kUrl, or kRegex when the kind is to be detected from the
// value itself (plain lists, CSV).
struct LogValue {
  Kind kind;
  std::string_view value;
  std::string_view field;  // "query", "answer", "url", "host", "server", "value"
  // An optional value (e.g. a Zeek answer, which may be TXT data) that is
  // skipped silently when it is not a valid value of its kind.
  bool optional = false;
};

enum class LineStatus { kValues, kIgnored, kMalformed };

class LineReader {
 public:
  explicit LineReader(FormatSpec spec) : spec_(spec) {}
  // Reads one line (without its newline; a trailing '\r' is tolerated).
  // Fills `out` (cleared first); on kMalformed, `error` says why.
  LineStatus Read(std::string_view line, std::vector<LogValue>& out, std::string& error);
  // For Zeek TSV: whether a #fields header has been seen.
  bool HasZeekHeader() const { return query_col_ >= 0 || answers_col_ >= 0; }
  const FormatSpec& spec() const { return spec_; }

 private:
  LineStatus ReadZeekHeader(std::string_view line, std::string& error);
  LineStatus ReadZeekJson(std::string_view line, std::vector<LogValue>& out, std::string& error);

  FormatSpec spec_;
  int n_fields_ = 0, query_col_ = -1, answers_col_ = -1;
  std::deque<std::string> json_strings_;  // storage for JSON values
};

// Fast path for the scanner: the query name of a well-formed query line of
// the BIND or Unbound formats, found without building a value list. Returns
// true with `name` set exactly when LineReader::Read would return kValues
// with that one query value; false when the generic reader must decide (any
// other line, any other format). Never reads outside `line`.
bool FastQueryName(LogFormat format, std::string_view line, std::string_view& name);

}  // namespace entente::match
