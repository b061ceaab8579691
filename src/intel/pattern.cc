#include "intel/pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace entente::intel {

std::string_view OperatorName(Operator op) {
  switch (op) {
    case Operator::kEqual:
      return "=";
    case Operator::kNotEqual:
      return "!=";
    case Operator::kLess:
      return "<";
    case Operator::kLessEqual:
      return "<=";
    case Operator::kGreater:
      return ">";
    case Operator::kGreaterEqual:
      return ">=";
    case Operator::kIn:
      return "IN";
    case Operator::kLike:
      return "LIKE";
    case Operator::kMatches:
      return "MATCHES";
    case Operator::kIsSubset:
      return "ISSUBSET";
    case Operator::kIsSuperset:
      return "ISSUPERSET";
    case Operator::kExists:
      return "EXISTS";
  }
  return "?";
}

namespace {

constexpr std::string_view kKeywords[] = {
    "AND",  "OR", "NOT",   "FOLLOWEDBY", "LIKE",    "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
    "LAST", "IN", "START", "STOP",       "SECONDS", "WITHIN",  "REPEATS",    "TIMES"};

bool IsKeyword(std::string_view s) {
  return std::find(std::begin(kKeywords), std::end(kKeywords), s) != std::end(kKeywords);
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsBase64(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

enum class Tok {
  kEnd,
  kLBracket,
  kRBracket,
  kLParen,
  kRParen,
  kColon,
  kDot,
  kComma,
  kStar,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIdent,    // identifier (may contain '-'), not a keyword
  kKeyword,  // AND, OR, ...
  kBool,
  kString,
  kInt,
  kFloat,
  kHex,
  kBinary,
  kTimestamp,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t offset = 0;
  std::string_view raw;  // the token's text in the input
  std::string text;      // unescaped string, keyword, identifier, digits...
  std::int64_t integer = 0;
  bool boolean = false;
};

// Days in `month` of `year` (Gregorian).
int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

int Num(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// STIX timestamp: YYYY-MM-DDTHH:MM:SS[.s+]Z with a real calendar date.
std::optional<std::string> TimestampProblem(std::string_view t) {
  auto digits = [&](size_t from, size_t n) {
    if (from + n > t.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!IsDigit(t[i])) return false;
    return true;
  };
  if (!(digits(0, 4) && t.size() > 4 && t[4] == '-' && digits(5, 2) && t.size() > 7 &&
        t[7] == '-' && digits(8, 2) && t.size() > 10 && t[10] == 'T' && digits(11, 2) &&
        t.size() > 13 && t[13] == ':' && digits(14, 2) && t.size() > 16 && t[16] == ':' &&
        digits(17, 2)))
    return "not of the form YYYY-MM-DDTHH:MM:SS[.fraction]Z";
  size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    ++i;
    size_t start = i;
    while (i < t.size() && IsDigit(t[i])) ++i;
    if (i == start) return "a '.' must be followed by fraction digits";
  }
  if (i >= t.size() || t[i] != 'Z' || i + 1 != t.size()) return "must end with 'Z' (UTC)";
  int year = Num(t.substr(0, 4)), month = Num(t.substr(5, 2)), day = Num(t.substr(8, 2));
  int hour = Num(t.substr(11, 2)), minute = Num(t.substr(14, 2)), second = Num(t.substr(17, 2));
  if (month < 1 || month > 12) return fmt::format("month {} out of range", month);
  if (day < 1 || day > DaysInMonth(year, month))
    return fmt::format("day {} out of range for {:04}-{:02}", day, year, month);
  if (hour > 23) return fmt::format("hour {} out of range", hour);
  if (minute > 59) return fmt::format("minute {} out of range", minute);
  if (second > 60) return fmt::format("second {} out of range", second);
  return std::nullopt;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Reads the next token; errors carry the offset.
  Result<Token> Next() {
    ENTENTE_CHECK(SkipSpace());
    Token t;
    t.offset = pos_;
    if (pos_ >= s_.size()) {
      t.kind = Tok::kEnd;
      return t;
    }
    const char c = s_[pos_];
    auto single = [&](Tok k, size_t n = 1) {
      t.kind = k;
      t.raw = s_.substr(pos_, n);
      pos_ += n;
      return t;
    };
    switch (c) {
      case '[':
        return single(Tok::kLBracket);
      case ']':
        return single(Tok::kRBracket);
      case '(':
        return single(Tok::kLParen);
      case ')':
        return single(Tok::kRParen);
      case ':':
        return single(Tok::kColon);
      case ',':
        return single(Tok::kComma);
      case '*':
        return single(Tok::kStar);
      case '=':
        return single(Tok::kEq);
      case '!':
        if (Peek(1) == '=') return single(Tok::kNe, 2);
        return Err(pos_, "'!='", "'!'");
      case '<':
        if (Peek(1) == '=') return single(Tok::kLe, 2);
        if (Peek(1) == '>') return single(Tok::kNe, 2);
        return single(Tok::kLt);
      case '>':
        if (Peek(1) == '=') return single(Tok::kGe, 2);
        return single(Tok::kGt);
      case '\'':
        return LexString(t, 0);
      default:
        break;
    }
    if (c == '.' && !IsDigit(Peek(1))) return single(Tok::kDot);
    if (c == '+' || c == '-' || c == '.' || IsDigit(c)) return LexNumber(t);
    if (IsIdentStart(c)) {
      if (Peek(1) == '\'' && (c == 'h' || c == 'b' || c == 't')) return LexString(t, c);
      size_t start = pos_;
      while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
      t.raw = s_.substr(start, pos_ - start);
      t.text = std::string(t.raw);
      if (IsKeyword(t.text)) {
        t.kind = Tok::kKeyword;
      } else if (IEquals(t.text, "true") || IEquals(t.text, "false")) {
        t.kind = Tok::kBool;
        t.boolean = IEquals(t.text, "true");
      } else {
        t.kind = Tok::kIdent;
      }
      return t;
    }
    return Err(pos_, "a pattern element", Describe(c));
  }

  static std::unexpected<Error> Err(size_t offset, std::string_view expected,
                                    std::string_view found) {
    return Invalid(fmt::format("offset {}: expected {}, found {}", offset, expected, found),
                   "pattern");
  }
  static std::unexpected<Error> Bad(size_t offset, std::string_view what) {
    return Invalid(fmt::format("offset {}: {}", offset, what), "pattern");
  }

 private:
  static std::string Describe(char c) {
    if (std::isprint(static_cast<unsigned char>(c))) return fmt::format("'{}'", c);
    return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
  }
  char Peek(size_t ahead) const { return pos_ + ahead < s_.size() ? s_[pos_ + ahead] : '\0'; }

  Status SkipSpace() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
        ++pos_;
      } else if (c == '/' && Peek(1) == '*') {
        size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Bad(pos_, "unterminated comment");
        pos_ = end + 2;
      } else if (c == '/' && Peek(1) == '/') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') ++pos_;
      } else {
        break;
      }
    }
    return Ok();
  }

  Result<Token> LexNumber(Token& t) {
    size_t start = pos_;
    bool negative = false;
    if (s_[pos_] == '+' || s_[pos_] == '-') {
      negative = s_[pos_] == '-';
      ++pos_;
    }
    size_t int_start = pos_;
    while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    std::string_view int_part = s_.substr(int_start, pos_ - int_start);
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      size_t frac_start = pos_;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
      if (pos_ == frac_start) return Err(pos_, "digits after '.'", DescribeAt(pos_));
      t.kind = Tok::kFloat;
      t.raw = s_.substr(start, pos_ - start);
      t.text = std::string(s_[start] == '+' ? t.raw.substr(1) : t.raw);
      if (pos_ < s_.size() && IsIdentChar(s_[pos_]))
        return Err(pos_, "end of number", DescribeAt(pos_));
      return t;
    }
    if (int_part.empty()) return Err(pos_, "digits", DescribeAt(pos_));
    if (int_part.size() > 1 && int_part[0] == '0')
      return Bad(int_start, "integer with a leading zero");
    if (pos_ < s_.size() && IsIdentChar(s_[pos_]))
      return Err(pos_, "end of number", DescribeAt(pos_));
    t.kind = Tok::kInt;
    t.raw = s_.substr(start, pos_ - start);
    std::string digits = (negative ? "-" : "") + std::string(int_part);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), t.integer);
    if (ec != std::errc() || p != digits.data() + digits.size())
      return Bad(start, "integer out of the 64-bit range");
    t.text = std::to_string(t.integer);
    return t;
  }

  std::string DescribeAt(size_t pos) const {
    return pos < s_.size() ? Describe(s_[pos]) : "end of pattern";
  }

  // A quoted literal; `prefix` is 0 for a plain string, or h / b / t.
  Result<Token> LexString(Token& t, char prefix) {
    size_t start = pos_;
    if (prefix != 0) ++pos_;
    ++pos_;  // opening quote
    std::string value;
    for (;;) {
      if (pos_ >= s_.size()) return Bad(start, "unterminated quoted literal");
      char c = s_[pos_];
      if (c == '\'') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        char n = Peek(1);
        if (n != '\'' && n != '\\')
          return Bad(pos_, "invalid escape: only \\' and \\\\ are allowed in a string");
        if (prefix != 0) return Bad(pos_, "escapes are not allowed in this literal");
        value.push_back(n);
        pos_ += 2;
        continue;
      }
      value.push_back(c);
      ++pos_;
    }
    t.raw = s_.substr(start, pos_ - start);
    const size_t body = start + (prefix != 0 ? 2 : 1);
    switch (prefix) {
      case 0:
        t.kind = Tok::kString;
        break;
      case 'h':
        t.kind = Tok::kHex;
        if (value.size() % 2 != 0) return Bad(body, "hex literal needs an even number of digits");
        for (size_t i = 0; i < value.size(); ++i)
          if (!IsHex(value[i])) return Bad(body + i, "hex literal holds a non-hex character");
        break;
      case 'b': {
        t.kind = Tok::kBinary;
        if (value.size() % 4 != 0) return Bad(body, "base64 literal length is not a multiple of 4");
        size_t pad = 0;
        while (pad < 2 && pad < value.size() && value[value.size() - 1 - pad] == '=') ++pad;
        for (size_t i = 0; i + pad < value.size(); ++i)
          if (!IsBase64(value[i]))
            return Bad(body + i, "base64 literal holds an invalid character");
        break;
      }
      case 't':
        t.kind = Tok::kTimestamp;
        if (auto problem = TimestampProblem(value))
          return Bad(body, fmt::format("invalid timestamp '{}': {}", value, *problem));
        break;
      default:
        break;
    }
    t.text = std::move(value);
    return t;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "end of pattern";
    case Tok::kString:
      return fmt::format("string {}", t.raw);
    case Tok::kIdent:
      return fmt::format("identifier '{}'", t.raw);
    default:
      return fmt::format("'{}'", t.raw);
  }
}

class Parser {
 public:
  explicit Parser(std::string_view text) : lexer_(text) {}

  Result<Pattern> Parse() {
    ENTENTE_CHECK(Advance());
    Observation obs = ENTENTE_TRY(ParseObsExpr());
    if (tok_.kind != Tok::kEnd) {
      return Lexer::Err(tok_.offset, "AND, OR, FOLLOWEDBY, a qualifier or end of pattern",
                        DescribeToken(tok_));
    }
    return obs;
  }

 private:
  Status Advance() {
    tok_ = ENTENTE_TRY(lexer_.Next());
    return Ok();
  }
  bool IsKw(std::string_view k) const { return tok_.kind == Tok::kKeyword && tok_.text == k; }
  Status Expect(Tok kind, std::string_view what) {
    if (tok_.kind != kind) return Lexer::Err(tok_.offset, what, DescribeToken(tok_));
    return Advance();
  }
  Status Enter() {
    if (++depth_ > kMaxPatternDepth)
      return Lexer::Bad(tok_.offset, fmt::format("nested deeper than {} levels", kMaxPatternDepth));
    return Ok();
  }

  // Joins `parts` with an n-ary `kind` node, flattening children of the
  // same kind that have no qualifiers.
  static Observation JoinObs(Observation::Kind kind, std::vector<Observation> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    Observation out;
    out.kind = kind;
    for (auto& p : parts) {
      if (p.kind == kind && p.qualifiers.empty()) {
        for (auto& c : p.children) out.children.push_back(std::move(c));
      } else {
        out.children.push_back(std::move(p));
      }
    }
    return out;
  }
  static Comparison JoinCmp(Comparison::Kind kind, std::vector<Comparison> parts) {
    if (parts.size() == 1) return std::move(parts[0]);
    Comparison out;
    out.kind = kind;
    for (auto& p : parts) {
      if (p.kind == kind) {
        for (auto& c : p.children) out.children.push_back(std::move(c));
      } else {
        out.children.push_back(std::move(p));
      }
    }
    return out;
  }

  Result<Observation> ParseObsExpr() {
    std::vector<Observation> parts;
    parts.push_back(ENTENTE_TRY(ParseObsOr()));
    while (IsKw("FOLLOWEDBY")) {
      ENTENTE_CHECK(Advance());
      parts.push_back(ENTENTE_TRY(ParseObsOr()));
    }
    return JoinObs(Observation::Kind::kFollowedBy, std::move(parts));
  }
  Result<Observation> ParseObsOr() {
    std::vector<Observation> parts;
    parts.push_back(ENTENTE_TRY(ParseObsAnd()));
    while (IsKw("OR")) {
      ENTENTE_CHECK(Advance());
      parts.push_back(ENTENTE_TRY(ParseObsAnd()));
    }
    return JoinObs(Observation::Kind::kOr, std::move(parts));
  }
  Result<Observation> ParseObsAnd() {
    std::vector<Observation> parts;
    parts.push_back(ENTENTE_TRY(ParseObsQualified()));
    while (IsKw("AND")) {
      ENTENTE_CHECK(Advance());
      parts.push_back(ENTENTE_TRY(ParseObsQualified()));
    }
    return JoinObs(Observation::Kind::kAnd, std::move(parts));
  }

  Result<Observation> ParseObsQualified() {
    Observation obs;
    ENTENTE_CHECK(Enter());
    if (tok_.kind == Tok::kLBracket) {
      ENTENTE_CHECK(Advance());
      obs.kind = Observation::Kind::kComparison;
      obs.comparison = ENTENTE_TRY(ParseCmpExpr());
      ENTENTE_CHECK(Expect(Tok::kRBracket, "']', AND or OR"));
    } else if (tok_.kind == Tok::kLParen) {
      ENTENTE_CHECK(Advance());
      obs = ENTENTE_TRY(ParseObsExpr());
      ENTENTE_CHECK(Expect(Tok::kRParen, "')', AND, OR, FOLLOWEDBY or a qualifier"));
    } else {
      return Lexer::Err(tok_.offset, "'[' or '(' starting an observation expression",
                        DescribeToken(tok_));
    }
    --depth_;
    for (;;) {
      if (IsKw("WITHIN")) {
        Qualifier q;
        q.kind = Qualifier::Kind::kWithin;
        ENTENTE_CHECK(Advance());
        if (tok_.kind == Tok::kInt) {
          q.number.kind = Literal::Kind::kInt;
          q.number.integer = tok_.integer;
          if (tok_.integer <= 0) return Lexer::Bad(tok_.offset, "WITHIN needs a positive number");
        } else if (tok_.kind == Tok::kFloat) {
          q.number.kind = Literal::Kind::kFloat;
          q.number.text = tok_.text;
          double v = std::strtod(tok_.text.c_str(), nullptr);
          if (!(v > 0)) return Lexer::Bad(tok_.offset, "WITHIN needs a positive number");
        } else {
          return Lexer::Err(tok_.offset, "a number of seconds after WITHIN", DescribeToken(tok_));
        }
        ENTENTE_CHECK(Advance());
        if (!IsKw("SECONDS")) return Lexer::Err(tok_.offset, "SECONDS", DescribeToken(tok_));
        ENTENTE_CHECK(Advance());
        obs.qualifiers.push_back(std::move(q));
      } else if (IsKw("REPEATS")) {
        Qualifier q;
        q.kind = Qualifier::Kind::kRepeats;
        ENTENTE_CHECK(Advance());
        if (tok_.kind != Tok::kInt)
          return Lexer::Err(tok_.offset, "an integer after REPEATS", DescribeToken(tok_));
        if (tok_.integer <= 0) return Lexer::Bad(tok_.offset, "REPEATS needs a positive integer");
        q.number.kind = Literal::Kind::kInt;
        q.number.integer = tok_.integer;
        ENTENTE_CHECK(Advance());
        if (!IsKw("TIMES")) return Lexer::Err(tok_.offset, "TIMES", DescribeToken(tok_));
        ENTENTE_CHECK(Advance());
        obs.qualifiers.push_back(std::move(q));
      } else if (IsKw("START")) {
        Qualifier q;
        q.kind = Qualifier::Kind::kStartStop;
        ENTENTE_CHECK(Advance());
        if (tok_.kind != Tok::kTimestamp)
          return Lexer::Err(tok_.offset, "a timestamp t'...' after START", DescribeToken(tok_));
        q.start = tok_.text;
        ENTENTE_CHECK(Advance());
        if (!IsKw("STOP")) return Lexer::Err(tok_.offset, "STOP", DescribeToken(tok_));
        ENTENTE_CHECK(Advance());
        if (tok_.kind != Tok::kTimestamp)
          return Lexer::Err(tok_.offset, "a timestamp t'...' after STOP", DescribeToken(tok_));
        q.stop = tok_.text;
        ENTENTE_CHECK(Advance());
        obs.qualifiers.push_back(std::move(q));
      } else {
        break;
      }
    }
    return obs;
  }

  Result<Comparison> ParseCmpExpr() {
    std::vector<Comparison> parts;
    parts.push_back(ENTENTE_TRY(ParseCmpAnd()));
    while (IsKw("OR")) {
      ENTENTE_CHECK(Advance());
      parts.push_back(ENTENTE_TRY(ParseCmpAnd()));
    }
    return JoinCmp(Comparison::Kind::kOr, std::move(parts));
  }
  Result<Comparison> ParseCmpAnd() {
    std::vector<Comparison> parts;
    parts.push_back(ENTENTE_TRY(ParseCmpTest()));
    while (IsKw("AND")) {
      ENTENTE_CHECK(Advance());
      parts.push_back(ENTENTE_TRY(ParseCmpTest()));
    }
    return JoinCmp(Comparison::Kind::kAnd, std::move(parts));
  }

  Result<Comparison> ParseCmpTest() {
    if (tok_.kind == Tok::kLParen) {
      ENTENTE_CHECK(Enter());
      ENTENTE_CHECK(Advance());
      Comparison c = ENTENTE_TRY(ParseCmpExpr());
      ENTENTE_CHECK(Expect(Tok::kRParen, "')', AND or OR"));
      --depth_;
      return c;
    }
    Comparison c;
    c.kind = Comparison::Kind::kTest;
    if (IsKw("EXISTS")) {
      ENTENTE_CHECK(Advance());
      c.op = Operator::kExists;
      c.path = ENTENTE_TRY(ParsePath());
      return c;
    }
    c.path = ENTENTE_TRY(ParsePath());
    if (IsKw("NOT")) {
      c.negated = true;
      ENTENTE_CHECK(Advance());
    }
    const size_t op_offset = tok_.offset;
    const std::string_view op_expected =
        c.negated ? "a comparison operator after NOT"
                  : "a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, "
                    "ISSUPERSET) or a path step";
    switch (tok_.kind) {
      case Tok::kEq:
        c.op = Operator::kEqual;
        break;
      case Tok::kNe:
        c.op = Operator::kNotEqual;
        break;
      case Tok::kLt:
        c.op = Operator::kLess;
        break;
      case Tok::kLe:
        c.op = Operator::kLessEqual;
        break;
      case Tok::kGt:
        c.op = Operator::kGreater;
        break;
      case Tok::kGe:
        c.op = Operator::kGreaterEqual;
        break;
      case Tok::kKeyword:
        if (tok_.text == "IN")
          c.op = Operator::kIn;
        else if (tok_.text == "LIKE")
          c.op = Operator::kLike;
        else if (tok_.text == "MATCHES")
          c.op = Operator::kMatches;
        else if (tok_.text == "ISSUBSET")
          c.op = Operator::kIsSubset;
        else if (tok_.text == "ISSUPERSET")
          c.op = Operator::kIsSuperset;
        else
          return Lexer::Err(op_offset, op_expected, DescribeToken(tok_));
        break;
      default:
        return Lexer::Err(op_offset, op_expected, DescribeToken(tok_));
    }
    ENTENTE_CHECK(Advance());
    if (c.op == Operator::kIn) {
      ENTENTE_CHECK(Expect(Tok::kLParen, "'(' starting the set after IN"));
      if (tok_.kind != Tok::kRParen) {
        for (;;) {
          c.values.push_back(ENTENTE_TRY(ParseLiteral(true)));
          if (tok_.kind == Tok::kComma) {
            ENTENTE_CHECK(Advance());
            continue;
          }
          break;
        }
      }
      ENTENTE_CHECK(Expect(Tok::kRParen, "',' or ')' in the set"));
      return c;
    }
    const size_t lit_offset = tok_.offset;
    Literal lit = ENTENTE_TRY(ParseLiteral(true));
    switch (c.op) {
      case Operator::kLike:
      case Operator::kMatches:
      case Operator::kIsSubset:
      case Operator::kIsSuperset:
        if (lit.kind != Literal::Kind::kString)
          return Lexer::Bad(lit_offset,
                            fmt::format("{} needs a string literal", OperatorName(c.op)));
        break;
      case Operator::kLess:
      case Operator::kLessEqual:
      case Operator::kGreater:
      case Operator::kGreaterEqual:
        if (lit.kind == Literal::Kind::kBool)
          return Lexer::Bad(lit_offset,
                            fmt::format("{} cannot compare with a boolean", OperatorName(c.op)));
        break;
      default:
        break;
    }
    c.values.push_back(std::move(lit));
    return c;
  }

  Result<Literal> ParseLiteral(bool /*primitive*/) {
    Literal l;
    switch (tok_.kind) {
      case Tok::kString:
        l.kind = Literal::Kind::kString;
        l.text = tok_.text;
        break;
      case Tok::kInt:
        l.kind = Literal::Kind::kInt;
        l.integer = tok_.integer;
        break;
      case Tok::kFloat:
        l.kind = Literal::Kind::kFloat;
        l.text = tok_.text;
        break;
      case Tok::kBool:
        l.kind = Literal::Kind::kBool;
        l.boolean = tok_.boolean;
        break;
      case Tok::kHex:
        l.kind = Literal::Kind::kHex;
        l.text = tok_.text;
        break;
      case Tok::kBinary:
        l.kind = Literal::Kind::kBinary;
        l.text = tok_.text;
        break;
      case Tok::kTimestamp:
        l.kind = Literal::Kind::kTimestamp;
        l.text = tok_.text;
        break;
      default:
        return Lexer::Err(tok_.offset, "a literal (string, number, boolean, h'..', b'..', t'..')",
                          DescribeToken(tok_));
    }
    ENTENTE_CHECK(Advance());
    return l;
  }

  Result<ObjectPath> ParsePath() {
    ObjectPath p;
    if (tok_.kind != Tok::kIdent)
      return Lexer::Err(tok_.offset, "an object path (type:property)", DescribeToken(tok_));
    p.object_type = tok_.text;
    ENTENTE_CHECK(Advance());
    ENTENTE_CHECK(Expect(Tok::kColon, "':' after the object type"));
    PathStep first;
    ENTENTE_CHECK(ParseKey(first, "a property name after ':'"));
    p.steps.push_back(std::move(first));
    for (;;) {
      if (tok_.kind == Tok::kDot) {
        ENTENTE_CHECK(Advance());
        PathStep s;
        ENTENTE_CHECK(ParseKey(s, "a property name after '.'"));
        p.steps.push_back(std::move(s));
      } else if (tok_.kind == Tok::kLBracket) {
        ENTENTE_CHECK(Advance());
        PathStep s;
        if (tok_.kind == Tok::kStar) {
          s.kind = PathStep::Kind::kAnyIndex;
        } else if (tok_.kind == Tok::kInt) {
          s.kind = PathStep::Kind::kIndex;
          s.index = tok_.integer;
        } else {
          return Lexer::Err(tok_.offset, "a list index (integer or '*')", DescribeToken(tok_));
        }
        ENTENTE_CHECK(Advance());
        ENTENTE_CHECK(Expect(Tok::kRBracket, "']' closing the list index"));
        p.steps.push_back(std::move(s));
      } else {
        break;
      }
    }
    return p;
  }

  Status ParseKey(PathStep& s, std::string_view what) {
    s.kind = PathStep::Kind::kKey;
    if (tok_.kind == Tok::kString) {
      s.key = tok_.text;
    } else if (tok_.kind == Tok::kIdent || tok_.kind == Tok::kBool) {
      if (tok_.raw.find('-') != std::string_view::npos)
        return Lexer::Bad(tok_.offset, fmt::format("property name '{}' contains '-' and must be "
                                                   "quoted ('{}')",
                                                   tok_.raw, tok_.raw));
      s.key = std::string(tok_.raw);
    } else {
      return Lexer::Err(tok_.offset, what, DescribeToken(tok_));
    }
    return Advance();
  }

  Lexer lexer_;
  Token tok_;
  int depth_ = 0;
};

// ---- printing ---------------------------------------------------------------

void AppendQuoted(std::string& out, std::string_view s) {
  out.push_back('\'');
  for (char c : s) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
}

bool IsPlainKey(std::string_view k) {
  if (k.empty() || !IsIdentStart(k[0])) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return !IsKeyword(k) && !IEquals(k, "true") && !IEquals(k, "false");
}

void PrintLiteral(std::string& out, const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kString:
      AppendQuoted(out, l.text);
      break;
    case Literal::Kind::kInt:
      out += std::to_string(l.integer);
      break;
    case Literal::Kind::kFloat:
      out += l.text;
      break;
    case Literal::Kind::kBool:
      out += l.boolean ? "true" : "false";
      break;
    case Literal::Kind::kHex:
      out += "h'" + l.text + "'";
      break;
    case Literal::Kind::kBinary:
      out += "b'" + l.text + "'";
      break;
    case Literal::Kind::kTimestamp:
      out += "t'" + l.text + "'";
      break;
  }
}

void PrintPath(std::string& out, const ObjectPath& p) {
  out += p.object_type;
  out += ':';
  bool first = true;
  for (const auto& s : p.steps) {
    switch (s.kind) {
      case PathStep::Kind::kKey:
        if (!first) out += '.';
        if (IsPlainKey(s.key))
          out += s.key;
        else
          AppendQuoted(out, s.key);
        break;
      case PathStep::Kind::kIndex:
        out += fmt::format("[{}]", s.index);
        break;
      case PathStep::Kind::kAnyIndex:
        out += "[*]";
        break;
    }
    first = false;
  }
}

void PrintComparison(std::string& out, const Comparison& c, int parent_prec) {
  if (c.kind == Comparison::Kind::kTest) {
    if (c.op == Operator::kExists) {
      out += "EXISTS ";
      PrintPath(out, c.path);
      return;
    }
    PrintPath(out, c.path);
    out += c.negated ? " NOT " : " ";
    out += OperatorName(c.op);
    out += ' ';
    if (c.op == Operator::kIn) {
      out += '(';
      for (size_t i = 0; i < c.values.size(); ++i) {
        if (i) out += ", ";
        PrintLiteral(out, c.values[i]);
      }
      out += ')';
    } else if (!c.values.empty()) {
      PrintLiteral(out, c.values[0]);
    }
    return;
  }
  const int prec = c.kind == Comparison::Kind::kOr ? 1 : 2;
  const bool parens = prec <= parent_prec;
  if (parens) out += '(';
  for (size_t i = 0; i < c.children.size(); ++i) {
    if (i) out += c.kind == Comparison::Kind::kOr ? " OR " : " AND ";
    PrintComparison(out, c.children[i], prec);
  }
  if (parens) out += ')';
}

int ObsPrec(Observation::Kind k) {
  switch (k) {
    case Observation::Kind::kFollowedBy:
      return 1;
    case Observation::Kind::kOr:
      return 2;
    case Observation::Kind::kAnd:
      return 3;
    case Observation::Kind::kComparison:
      return 4;
  }
  return 4;
}

void PrintObservation(std::string& out, const Observation& o, int parent_prec) {
  if (o.kind == Observation::Kind::kComparison) {
    out += '[';
    PrintComparison(out, o.comparison, 0);
    out += ']';
  } else {
    const int prec = ObsPrec(o.kind);
    const bool parens = prec <= parent_prec || !o.qualifiers.empty();
    if (parens) out += '(';
    const char* sep = o.kind == Observation::Kind::kAnd  ? " AND "
                      : o.kind == Observation::Kind::kOr ? " OR "
                                                         : " FOLLOWEDBY ";
    for (size_t i = 0; i < o.children.size(); ++i) {
      if (i) out += sep;
      PrintObservation(out, o.children[i], prec);
    }
    if (parens) out += ')';
  }
  for (const auto& q : o.qualifiers) {
    switch (q.kind) {
      case Qualifier::Kind::kWithin:
        out += " WITHIN ";
        PrintLiteral(out, q.number);
        out += " SECONDS";
        break;
      case Qualifier::Kind::kRepeats:
        out += fmt::format(" REPEATS {} TIMES", q.number.integer);
        break;
      case Qualifier::Kind::kStartStop:
        out += fmt::format(" START t'{}' STOP t'{}'", q.start, q.stop);
        break;
    }
  }
}

// ---- observables ------------------------------------------------------------

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string CanonicalHashName(std::string_view name) {
  std::string up;
  for (char c : name) up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  if (up == "SHA256") return "SHA-256";
  if (up == "SHA1") return "SHA-1";
  if (up == "SHA512") return "SHA-512";
  if (up == "SHA3256") return "SHA3-256";
  if (up == "SHA3512") return "SHA3-512";
  return up;
}

void ObservablesOfTest(const Comparison& c, std::vector<Observable>& out) {
  if (c.negated || (c.op != Operator::kEqual && c.op != Operator::kIn)) return;
  const auto& steps = c.path.steps;
  auto key_at = [&](size_t i) -> std::string_view {
    return i < steps.size() && steps[i].kind == PathStep::Kind::kKey
               ? std::string_view(steps[i].key)
               : std::string_view();
  };
  std::string type;
  std::string algorithm;
  const std::string& t = c.path.object_type;
  if (steps.size() == 1 && key_at(0) == "value" &&
      (t == "domain-name" || t == "ipv4-addr" || t == "ipv6-addr" || t == "url" ||
       t == "email-addr")) {
    type = t;
  } else if ((t == "file" || t == "artifact") && steps.size() == 2 && key_at(0) == "hashes" &&
             !key_at(1).empty()) {
    type = "file-hash";
    algorithm = CanonicalHashName(key_at(1));
  } else if (t == "email-message" && steps.size() == 2 &&
             (key_at(0) == "from_ref" || key_at(0) == "sender_ref") && key_at(1) == "value") {
    type = "email-addr";
  } else {
    return;
  }
  for (const auto& v : c.values) {
    if (v.kind != Literal::Kind::kString) continue;
    Observable o{type, v.text, algorithm};
    if (type == "domain-name" || type == "email-addr" || type == "file-hash")
      o.value = Lower(v.text);
    if (type == "domain-name" && !o.value.empty() && o.value.back() == '.') o.value.pop_back();
    if (std::find(out.begin(), out.end(), o) == out.end()) out.push_back(std::move(o));
  }
}

void ObservablesOfComparison(const Comparison& c, std::vector<Observable>& out) {
  if (c.kind == Comparison::Kind::kTest) {
    ObservablesOfTest(c, out);
    return;
  }
  for (const auto& ch : c.children) ObservablesOfComparison(ch, out);
}

void ObservablesOfObservation(const Observation& o, std::vector<Observable>& out) {
  if (o.kind == Observation::Kind::kComparison) {
    ObservablesOfComparison(o.comparison, out);
    return;
  }
  for (const auto& ch : o.children) ObservablesOfObservation(ch, out);
}

}  // namespace

Result<Pattern> ParsePattern(std::string_view text) {
  if (text.size() > kMaxPatternBytes)
    return Fail(
        ErrorCode::kResourceExhausted,
        fmt::format("pattern of {} bytes exceeds the limit of {}", text.size(), kMaxPatternBytes),
        "pattern");
  return Parser(text).Parse();
}

std::string PrintPattern(const Pattern& pattern) {
  std::string out;
  PrintObservation(out, pattern, 0);
  return out;
}

std::vector<Observable> ExtractObservables(const Pattern& pattern) {
  std::vector<Observable> out;
  ObservablesOfObservation(pattern, out);
  return out;
}

}  // namespace entente::intel
