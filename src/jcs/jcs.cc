#include "jcs/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace entente::jcs {

namespace {

// ---- canonicalization --------------------------------------------------------

// Deeper values are refused by Canonicalize() rather than risking the stack
// (ParseUntrusted() never produces them: its limit is far lower).
constexpr size_t kMaxCanonicalDepth = 1000;
constexpr std::int64_t kMaxExactInteger = std::int64_t{1} << 53;

// UTF-8 to UTF-16 code units, for RFC 8785 member ordering. `s` is valid
// UTF-8 (checked by the caller).
std::u16string Utf16(const std::string& s) {
  std::u16string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    char32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (size_t k = 1; k < n && i + k < s.size(); ++k) cp = cp << 6 | (s[i + k] & 0x3F);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
  }
  return out;
}

// RFC 8785 section 3.2.2.2: the two-character escapes JSON has, \u00xx for
// the other controls, everything else as is.
Status AppendString(std::string& out, const std::string& s) {
  if (!IsValidUtf8(s)) return Invalid("a JSON string is not valid UTF-8");
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of characters that need no escape are copied at once.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        }
    }
  }
  out.append(s, run, s.size() - run);
  out.push_back('"');
  return Ok();
}

// ECMAScript Number::toString (ECMA-262 section 6.1.6.1.20) for a finite
// double. std::to_chars gives the shortest digit string that round-trips,
// nearest to the value, which is what the ECMAScript algorithm picks; only
// the layout differs.
void AppendNumber(std::string& out, double v) {
  if (v == 0) {  // both zeros
    out.push_back('0');
    return;
  }
  if (v < 0) {
    out.push_back('-');
    v = -v;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr);  // d[.ddd]e(+|-)xx
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e))
    if (c != '.') digits.push_back(c);
  int exp10 = 0;
  std::string_view es = sci.substr(e + 1);
  if (es.front() == '+') es.remove_prefix(1);
  std::from_chars(es.data(), es.data() + es.size(), exp10);
  const int k = static_cast<int>(digits.size());  // significant digits
  const int n = exp10 + 1;                        // value = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<size_t>(n));
    out.push_back('.');
    out.append(digits, static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(n - 1 < 0 ? '-' : '+');
    out += std::to_string(n - 1 < 0 ? 1 - n : n - 1);
  }
}

Status Write(const Json& v, std::string& out, size_t depth) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "null";
      return Ok();
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return Ok();
    // Integers are IEEE doubles in JSON (RFC 8785, I-JSON): beyond 2^53 they
    // take the value of the nearest double, exactly as ECMAScript would.
    case Json::value_t::number_integer: {
      auto i = v.get<std::int64_t>();
      if (i <= kMaxExactInteger && i >= -kMaxExactInteger)
        out += std::to_string(i);
      else
        AppendNumber(out, static_cast<double>(i));
      return Ok();
    }
    case Json::value_t::number_unsigned: {
      auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(kMaxExactInteger))
        out += std::to_string(u);
      else
        AppendNumber(out, static_cast<double>(u));
      return Ok();
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return Invalid("NaN and infinities cannot be canonicalized");
      AppendNumber(out, d);
      return Ok();
    }
    case Json::value_t::string:
      return AppendString(out, v.get_ref<const std::string&>());
    case Json::value_t::array: {
      if (depth >= kMaxCanonicalDepth) return Invalid("JSON value is nested too deeply");
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        ENTENTE_CHECK(Write(e, out, depth + 1));
      }
      out.push_back(']');
      return Ok();
    }
    case Json::value_t::object: {
      if (depth >= kMaxCanonicalDepth) return Invalid("JSON value is nested too deeply");
      const auto& members = v.get_ref<const Json::object_t&>();
      // ASCII names (the usual case): the map's byte order is already the
      // order of UTF-16 code units.
      bool ascii = true;
      for (const auto& m : members) {
        for (char c : m.first) {
          if (static_cast<unsigned char>(c) >= 0x80) ascii = false;
        }
      }
      if (ascii) {
        out.push_back('{');
        bool first = true;
        for (const auto& [name, value] : members) {
          if (!first) out.push_back(',');
          first = false;
          ENTENTE_CHECK(AppendString(out, name));
          out.push_back(':');
          ENTENTE_CHECK(Write(value, out, depth + 1));
        }
        out.push_back('}');
        return Ok();
      }
      std::vector<std::pair<std::u16string, const Json::object_t::value_type*>> sorted;
      sorted.reserve(members.size());
      for (const auto& m : members) {
        if (!IsValidUtf8(m.first)) return Invalid("a JSON member name is not valid UTF-8");
        sorted.emplace_back(Utf16(m.first), &m);
      }
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [unused, member] : sorted) {
        if (!first) out.push_back(',');
        first = false;
        ENTENTE_CHECK(AppendString(out, member->first));
        out.push_back(':');
        ENTENTE_CHECK(Write(member->second, out, depth + 1));
      }
      out.push_back('}');
      return Ok();
    }
    case Json::value_t::binary:
    case Json::value_t::discarded:
      return Invalid("value cannot be represented in JSON");
  }
  return Invalid("unknown JSON value");
}

// ---- strict parsing ----------------------------------------------------------

// RFC 6901 escaping of one reference token.
void AppendPointerToken(std::string& out, std::string_view token) {
  out.push_back('/');
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
}

// SAX handler for nlohmann's parser that builds the document while enforcing
// the limits, and refuses duplicate member names (which the library would
// silently let the last one win). Returning false stops the parser; the
// reason is in error_.
class StrictBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit StrictBuilder(const Limits& limits) : limits_(limits) {}

  bool null() { return AddValue(Json(nullptr)); }
  bool boolean(bool b) { return AddValue(Json(b)); }
  bool number_integer(number_integer_t i) { return AddValue(Json(i)); }
  bool number_unsigned(number_unsigned_t u) { return AddValue(Json(u)); }
  bool number_float(number_float_t d, const string_t& /*text*/) { return AddValue(Json(d)); }
  bool string(string_t& s) {
    if (s.size() > limits_.max_string_bytes)
      return Refuse(
          "JSON string is longer than " + std::to_string(limits_.max_string_bytes) + " bytes",
          PointerToNewValue());
    return AddValue(Json(std::move(s)));
  }
  bool binary(binary_t& /*b*/) { return Refuse("binary values are not JSON", PointerToNewValue()); }

  bool start_object(size_t /*unknown*/) { return StartContainer(Json::object()); }
  bool start_array(size_t /*unknown*/) { return StartContainer(Json::array()); }
  bool end_object() { return EndContainer(); }
  bool end_array() { return EndContainer(); }

  bool key(string_t& k) {
    Frame& f = stack_.back();
    if (k.size() > limits_.max_string_bytes) {
      std::string where = PointerToOpenContainers();
      AppendPointerToken(where, k.substr(0, 64));
      return Refuse(
          "JSON member name is longer than " + std::to_string(limits_.max_string_bytes) + " bytes",
          std::move(where));
    }
    auto [it, inserted] = f.value->get_ref<Json::object_t&>().emplace(std::move(k), nullptr);
    if (!inserted) {
      std::string where = PointerToOpenContainers();
      AppendPointerToken(where, it->first);
      return Refuse("duplicate member \"" + it->first.substr(0, 64) + "\" in a JSON object",
                    std::move(where));
    }
    f.member = &*it;
    return true;
  }

  bool parse_error(size_t position, const std::string& /*last_token*/, const Json::exception& ex) {
    // what() is "[json.exception.<kind>.<id>] <text>"; keep the text.
    std::string_view what = ex.what();
    if (auto p = what.find("] "); p != std::string_view::npos) what.remove_prefix(p + 2);
    error_ =
        Error(ErrorCode::kInvalidArgument, "malformed JSON at byte " + std::to_string(position) +
                                               ": " + std::string(what.substr(0, 200)));
    return false;
  }

  Json TakeRoot() { return std::move(root_); }
  const std::optional<Error>& error() const { return error_; }

 private:
  struct Frame {
    Json* value;                           // the open array or object
    Json::object_t::value_type* member{};  // the member being read
  };

  bool Count() {
    if (++elements_ > limits_.max_elements)
      return Refuse(
          "JSON document has more than " + std::to_string(limits_.max_elements) + " values",
          PointerToNewValue());
    return true;
  }

  // Puts `v` where the next value goes and returns where it is.
  Json* Place(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Frame& f = stack_.back();
    if (f.value->is_array()) {
      auto& a = f.value->get_ref<Json::array_t&>();
      a.push_back(std::move(v));
      return &a.back();  // stable until this container is closed again
    }
    Json* slot = &f.member->second;  // emplaced by key()
    *slot = std::move(v);
    return slot;
  }

  bool AddValue(Json v) {
    if (!Count()) return false;
    Place(std::move(v));
    return true;
  }

  bool StartContainer(Json empty) {
    if (stack_.size() >= limits_.max_depth)
      return Refuse("JSON nesting is deeper than " + std::to_string(limits_.max_depth),
                    PointerToNewValue());
    if (!Count()) return false;
    stack_.push_back({Place(std::move(empty))});
    return true;
  }

  bool EndContainer() {
    stack_.pop_back();
    return true;
  }

  // JSON pointer of the innermost open container.
  std::string PointerToOpenContainers() const {
    std::string p;
    for (size_t i = 0; i + 1 < stack_.size(); ++i) AppendChild(p, stack_[i], /*next=*/false);
    return p;
  }
  // JSON pointer of the value that is about to be added.
  std::string PointerToNewValue() const {
    std::string p = PointerToOpenContainers();
    if (!stack_.empty()) AppendChild(p, stack_.back(), /*next=*/true);
    return p;
  }
  // The token for the child of `f` being read (next=false: the open child,
  // which is the last one; next=true: the one about to be added).
  static void AppendChild(std::string& p, const Frame& f, bool next) {
    if (f.value->is_array()) {
      size_t n = f.value->size();
      p += "/" + std::to_string(next ? n : n - 1);
    } else if (f.member != nullptr) {
      AppendPointerToken(p, f.member->first);
    }
  }

  bool Refuse(std::string message, std::string pointer) {
    error_ = Error(ErrorCode::kInvalidArgument, std::move(message), std::move(pointer));
    return false;
  }

  const Limits& limits_;
  Json root_;
  std::vector<Frame> stack_;
  size_t elements_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Result<std::string> Canonicalize(const Json& value) {
  std::string out;
  ENTENTE_CHECK(Write(value, out, 0));
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    char32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {  // C0 and C1 would be overlong
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (p[i + k] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    i += len;
  }
  return true;
}

Result<Json> ParseUntrusted(std::string_view text, const Limits& limits) {
  if (text.size() > limits.max_bytes)
    return Fail(ErrorCode::kResourceExhausted,
                "JSON document is larger than " + std::to_string(limits.max_bytes) + " bytes");
  if (!IsValidUtf8(text)) return Invalid("JSON document is not valid UTF-8");
  // nlohmann's lexer takes a NUL byte for the end of the input and would
  // ignore whatever follows it. No JSON text contains one (in strings it must
  // be escaped), so refuse it here.
  if (auto nul = text.find('\0'); nul != std::string_view::npos)
    return Invalid("malformed JSON at byte " + std::to_string(nul) + ": NUL byte");
  StrictBuilder builder(limits);
  try {
    // Strict: nothing but whitespace after the value; no comments.
    if (!Json::sax_parse(text.begin(), text.end(), &builder, nlohmann::json::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false)) {
      if (builder.error()) return std::unexpected(*builder.error());
      return Invalid("malformed JSON");
    }
  } catch (const std::exception& e) {  // allocation failures
    return Fail(ErrorCode::kResourceExhausted, std::string("cannot parse JSON: ") + e.what());
  }
  return builder.TakeRoot();
}

}  // namespace entente::jcs
