// STIX 2.1 patterning (STIX 2.1 specification, section 9): a hand-written
// parser for the whole grammar, its syntax tree, a printer and an extractor
// of simple observables.
//
//   auto p = ParsePattern("[file:hashes.'SHA-256' = 'ef53...'] WITHIN 60 SECONDS");
//   if (!p) ... p.error().message  // "offset 12: expected ']', found 'AND'"
//   std::string text = PrintPattern(*p);  // ParsePattern(text) == *p
//
// Grammar (precedence from loosest to tightest):
//   pattern      := obs_expr EOF
//   obs_expr     := obs_or ('FOLLOWEDBY' obs_or)*
//   obs_or       := obs_and ('OR' obs_and)*
//   obs_and      := obs_qual ('AND' obs_qual)*
//   obs_qual     := obs_atom qualifier*
//   obs_atom     := '[' cmp_expr ']' | '(' obs_expr ')'
//   qualifier    := 'WITHIN' number 'SECONDS' | 'REPEATS' int 'TIMES'
//                 | 'START' t'..' 'STOP' t'..'
//   cmp_expr     := cmp_and ('OR' cmp_and)*
//   cmp_and      := cmp_test ('AND' cmp_test)*
//   cmp_test     := '(' cmp_expr ')' | 'EXISTS' path
//                 | path 'NOT'? op literal        (op: = != < <= > >=
//                                                  IN LIKE MATCHES ISSUBSET ISSUPERSET)
//   path         := type ':' (identifier | 'quoted') ('.' key | '[' int | '*' ']')*
//
// Associative operators are kept n-ary (a AND (b AND c) and (a AND b) AND c
// give the same tree); parentheses are printed only where precedence or a
// qualifier needs them, so parse -> print -> parse gives an equal tree.
//
// Errors are kInvalidArgument with field "pattern" and a message naming the
// byte offset, what was expected and what was found. Input longer than
// kMaxPatternBytes or nested deeper than kMaxPatternDepth is refused.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace entente::intel {

inline constexpr size_t kMaxPatternBytes = 256 * 1024;
inline constexpr int kMaxPatternDepth = 100;

struct Literal {
  enum class Kind { kString, kInt, kFloat, kBool, kHex, kBinary, kTimestamp };
  Kind kind = Kind::kString;
  // kString: the unescaped value. kFloat: the number as written (without a
  // leading '+'). kHex: the hex digits. kBinary: the base64 text.
  // kTimestamp: the RFC 3339 text between the quotes.
  std::string text;
  std::int64_t integer = 0;  // kInt
  bool boolean = false;      // kBool
  bool operator==(const Literal&) const = default;
};

struct PathStep {
  enum class Kind { kKey, kIndex, kAnyIndex };
  Kind kind = Kind::kKey;
  std::string key;         // kKey
  std::int64_t index = 0;  // kIndex
  bool operator==(const PathStep&) const = default;
};

struct ObjectPath {
  std::string object_type;      // "file"
  std::vector<PathStep> steps;  // first is always a key: "hashes", then 'SHA-256'
  bool operator==(const ObjectPath&) const = default;
};

enum class Operator {
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kIn,
  kLike,
  kMatches,
  kIsSubset,
  kIsSuperset,
  kExists,
};
std::string_view OperatorName(Operator op);

// A node of a comparison expression (inside [...]).
struct Comparison {
  enum class Kind { kAnd, kOr, kTest };
  Kind kind = Kind::kTest;
  std::vector<Comparison> children;  // kAnd, kOr: two or more
  // kTest:
  ObjectPath path;
  Operator op = Operator::kEqual;
  bool negated = false;         // `NOT` before the operator
  std::vector<Literal> values;  // one; the set for kIn (maybe empty); none for kExists
  bool operator==(const Comparison&) const = default;
};

struct Qualifier {
  enum class Kind { kWithin, kRepeats, kStartStop };
  Kind kind = Kind::kWithin;
  Literal number;           // kWithin (int or float, seconds), kRepeats (int)
  std::string start, stop;  // kStartStop timestamps
  bool operator==(const Qualifier&) const = default;
};

// A node of an observation expression.
struct Observation {
  enum class Kind { kComparison, kAnd, kOr, kFollowedBy };
  Kind kind = Kind::kComparison;
  Comparison comparison;              // kComparison
  std::vector<Observation> children;  // kAnd, kOr, kFollowedBy: two or more
  std::vector<Qualifier> qualifiers;  // applied in order
  bool operator==(const Observation&) const = default;
};

using Pattern = Observation;

Result<Pattern> ParsePattern(std::string_view text);
std::string PrintPattern(const Pattern& pattern);

// A simple observable named by an equality (or IN) test that is not negated:
// the values the matching engine and the correlation index look for.
struct Observable {
  std::string type;            // domain-name, ipv4-addr, ipv6-addr, url, file-hash, email-addr
  std::string value;           // domains and e-mail addresses lower-cased, hashes lower-case hex
  std::string hash_algorithm;  // for file-hash: "SHA-256", "MD5", ...
  bool operator==(const Observable&) const = default;
};

// Observables of `pattern`, in order of appearance, without duplicates.
std::vector<Observable> ExtractObservables(const Pattern& pattern);

}  // namespace entente::intel
