#include "jcs/jcs.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <vector>

namespace entente::jcs {

namespace {

// UTF-8 to UTF-16 code units, for RFC 8785 member ordering. Input is valid
// UTF-8 (nlohmann strings from our parser are).
std::u16string Utf16(const std::string& s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    char32_t cp;
    int n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (int k = 1; k < n && i + k < s.size(); ++k) cp = cp << 6 | (s[i + k] & 0x3F);
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

void AppendString(std::string& out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : s) {
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
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

}  // namespace

// ECMAScript Number::toString for a finite double.
std::string FormatNumber(double v) {
  if (v == 0) return "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp10 = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits.push_back(c);
  int k = static_cast<int>(digits.size());
  int n = exp10 + 1;
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(-n, '0') + digits;
  } else {
    int ee = n - 1;
    std::string es = (ee < 0 ? "-" : "+") + std::to_string(ee < 0 ? -ee : ee);
    out = k == 1 ? digits + "e" + es : digits.substr(0, 1) + "." + digits.substr(1) + "e" + es;
  }
  return sign + out;
}

namespace {

constexpr std::int64_t kMaxSafe = 9007199254740992;  // 2^53

Status Write(const Json& v, std::string& out) {
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
      if (i <= kMaxSafe && i >= -kMaxSafe)
        out += std::to_string(i);
      else
        out += FormatNumber(static_cast<double>(i));
      return Ok();
    }
    case Json::value_t::number_unsigned: {
      auto u = v.get<std::uint64_t>();
      if (u <= static_cast<std::uint64_t>(kMaxSafe))
        out += std::to_string(u);
      else
        out += FormatNumber(static_cast<double>(u));
      return Ok();
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d)) return Invalid("NaN and infinities cannot be canonicalized");
      out += FormatNumber(d);
      return Ok();
    }
    case Json::value_t::string:
      AppendString(out, v.get_ref<const std::string&>());
      return Ok();
    case Json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        ENTENTE_CHECK(Write(e, out));
      }
      out.push_back(']');
      return Ok();
    }
    case Json::value_t::object: {
      std::vector<std::pair<std::u16string, const std::string*>> keys;
      keys.reserve(v.size());
      for (auto it = v.begin(); it != v.end(); ++it) keys.emplace_back(Utf16(it.key()), &it.key());
      std::sort(keys.begin(), keys.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      out.push_back('{');
      bool first = true;
      for (const auto& [u16, key] : keys) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(out, *key);
        out.push_back(':');
        ENTENTE_CHECK(Write(v.at(*key), out));
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

struct LimitError {
  std::string message;
};

}  // namespace

Result<std::string> Canonicalize(const Json& value) {
  std::string out;
  ENTENTE_CHECK(Write(value, out));
  return out;
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    char32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else
      return false;
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
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
  std::vector<std::set<std::string>> keys;
  size_t elements = 0;
  auto cb = [&](int depth, Json::parse_event_t event, Json& parsed) -> bool {
    switch (event) {
      case Json::parse_event_t::object_start:
        keys.emplace_back();
        [[fallthrough]];
      case Json::parse_event_t::array_start:
        if (static_cast<size_t>(depth) >= limits.max_depth)
          throw LimitError{"JSON nesting is deeper than " + std::to_string(limits.max_depth)};
        if (++elements > limits.max_elements)
          throw LimitError{"JSON document has more than " + std::to_string(limits.max_elements) +
                           " values"};
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const auto& k = parsed.get_ref<const std::string&>();
        if (k.size() > limits.max_string_bytes) throw LimitError{"JSON object key is too long"};
        if (!keys.empty() && !keys.back().insert(k).second)
          throw LimitError{"duplicate member \"" + k.substr(0, 64) + "\" in a JSON object"};
        break;
      }
      case Json::parse_event_t::value:
        if (parsed.is_string() &&
            parsed.get_ref<const std::string&>().size() > limits.max_string_bytes)
          throw LimitError{"JSON string is longer than " + std::to_string(limits.max_string_bytes) +
                           " bytes"};
        if (++elements > limits.max_elements)
          throw LimitError{"JSON document has more than " + std::to_string(limits.max_elements) +
                           " values"};
        break;
      case Json::parse_event_t::array_end:
        break;
    }
    return true;
  };
  try {
    return Json::parse(text.begin(), text.end(), cb, /*allow_exceptions=*/true,
                       /*ignore_comments=*/false);
  } catch (const LimitError& e) {
    return Invalid(e.message);
  } catch (const Json::parse_error& e) {
    return Invalid("malformed JSON at byte " + std::to_string(e.byte) + ": " +
                   std::string(e.what()).substr(0, 200));
  } catch (const std::exception& e) {
    return Invalid(std::string("malformed JSON: ") + e.what());
  }
}

}  // namespace entente::jcs
