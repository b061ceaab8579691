#include "match/export.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "crypto/crypto.h"
#include "match/normalize.h"

namespace entente::match {
namespace {

using Json = nlohmann::ordered_json;

bool Include(const Indicator& i, const ExportOptions& o, ExportStats& st) {
  if (i.revoked || !o.policy.Allows(i) ||
      (o.policy.now != 0 && ((i.valid_until != 0 && i.valid_until <= o.policy.now) ||
                             (i.valid_from != 0 && i.valid_from > o.policy.now)))) {
    ++st.excluded;
    return false;
  }
  return true;
}

void Problem(ExportStats& st, const Indicator& i, const std::string& msg) {
  ++st.invalid;
  if (st.problems.size() < 50) st.problems.push_back(i.id + ": " + msg);
}

// Local data for RPZ: "TYPE rdata" on one line, TYPE among A, AAAA, CNAME, TXT.
Status CheckLocalData(std::string_view d) {
  if (d.empty()) return Invalid("empty local data");
  for (char c : d)
    if (static_cast<unsigned char>(c) < 0x20 || c == ';' || c == '(' || c == ')')
      return Invalid("local data must be one RR without control characters, ';' or parentheses");
  std::string_view type = d.substr(0, d.find(' '));
  if (type != "A" && type != "AAAA" && type != "CNAME" && type != "TXT")
    return Invalid(fmt::format("local data type '{}' not supported (A, AAAA, CNAME, TXT)", type));
  if (d.find(' ') == std::string_view::npos) return Invalid("local data has no rdata");
  std::string_view rdata = d.substr(d.find(' ') + 1);
  if (type == "A" || type == "AAAA") {
    auto ip = ParseIp(rdata);
    if (!ip || ip->prefix != ip->MaxPrefix() || ip->v6 != (type == "AAAA"))
      return Invalid(fmt::format("invalid {} address '{}' in local data", type, rdata));
  }
  return Ok();
}

std::string Rfc3339OrEmpty(Millis t) { return t ? FormatRfc3339(t) : std::string(); }

std::string Md5Hex(std::string_view s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), out, &len, EVP_md5(), nullptr);
  return crypto::HexEncode(std::span<const std::uint8_t>(out, len));
}

// A deterministic UUID (version 5 layout) from a name.
std::string NameUuid(std::string_view name) {
  auto h = crypto::Sha256(crypto::AsBytes(name));
  h[6] = static_cast<std::uint8_t>((h[6] & 0x0F) | 0x50);
  h[8] = static_cast<std::uint8_t>((h[8] & 0x3F) | 0x80);
  std::string hex = crypto::HexEncode(std::span<const std::uint8_t>(h.data(), 16));
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                     hex.substr(16, 4), hex.substr(20, 12));
}

std::string Base64(std::string_view s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    std::uint32_t v = (static_cast<unsigned char>(s[i]) << 16) |
                      (static_cast<unsigned char>(s[i + 1]) << 8) |
                      static_cast<unsigned char>(s[i + 2]);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += k[v & 63];
  }
  if (i + 1 == s.size()) {
    std::uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == s.size()) {
    std::uint32_t v =
        (static_cast<unsigned char>(s[i]) << 16) | (static_cast<unsigned char>(s[i + 1]) << 8);
    out += k[v >> 18];
    out += k[(v >> 12) & 63];
    out += k[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace

Result<std::string> CanonicalValue(const Indicator& i) {
  switch (i.kind) {
    case Kind::kDomain:
      return NormalizeDomain(i.value);
    case Kind::kIp: {
      auto p = ENTENTE_TRY(ParseIp(i.value));
      return p.ToString();
    }
    case Kind::kUrl:
      return NormalizeUrl(i.value);
    case Kind::kEmail:
      return NormalizeEmail(i.value);
    case Kind::kMd5:
    case Kind::kSha1:
    case Kind::kSha256: {
      auto raw = ENTENTE_TRY(ParseHexHash(i.value));
      std::size_t want = i.kind == Kind::kMd5 ? 16 : i.kind == Kind::kSha1 ? 20 : 32;
      if (raw.size() != want)
        return Invalid(fmt::format("{} hash must have {} hex digits", KindName(i.kind), want * 2));
      return crypto::HexEncode(crypto::AsBytes(raw));
    }
    case Kind::kRegex:
      return i.value;
  }
  return Invalid("unknown kind");
}

std::string RpzIpOwner(const IpPrefix& p) {
  std::string out = fmt::format("{}", p.prefix);
  if (!p.v6) {
    for (int i = 3; i >= 0; --i) out += fmt::format(".{}", p.addr[i]);
  } else {
    std::uint16_t w[8];
    for (int i = 0; i < 8; ++i)
      w[i] = static_cast<std::uint16_t>((p.addr[2 * i] << 8) | p.addr[2 * i + 1]);
    // The longest run (>= 2) of zero words becomes "zz".
    int best = -1, best_len = 1;
    for (int i = 0; i < 8;) {
      if (w[i] != 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && w[j] == 0) ++j;
      if (j - i > best_len) {
        best = i;
        best_len = j - i;
      }
      i = j;
    }
    for (int i = 7; i >= 0; --i) {
      if (best >= 0 && i >= best && i < best + best_len) {
        if (i == best + best_len - 1) out += ".zz";
        continue;
      }
      out += fmt::format(".{:x}", w[i]);
    }
  }
  return out + ".rpz-ip";
}

Result<std::string> ExportRpz(std::span<const Indicator> in, const ExportOptions& o,
                              ExportStats& st) {
  if (o.default_action == Action::kLocalData) ENTENTE_CHECK(CheckLocalData(o.default_local_data));
  std::string out = fmt::format(
      "; Response Policy Zone from Entente indicators\n$TTL {}\n@ IN SOA localhost. "
      "hostmaster.localhost. "
      "{} 3600 600 86400 {}\n@ IN NS localhost.\n",
      o.ttl, o.serial, o.ttl);
  std::unordered_set<std::string> owners;
  owners.reserve(in.size() * 2);
  for (const Indicator& i : in) {
    if (i.kind != Kind::kDomain && i.kind != Kind::kIp) {
      ++st.unsupported;
      continue;
    }
    if (!Include(i, o, st)) continue;
    Action a = i.action == Action::kDefault ? o.default_action : i.action;
    std::string local = i.action == Action::kDefault ? o.default_local_data : i.local_data;
    if (a == Action::kLocalData) {
      if (auto s = CheckLocalData(local); !s) {
        Problem(st, i, s.error().message);
        continue;
      }
    }
    std::string rr;
    switch (a) {
      case Action::kDefault:
      case Action::kNxdomain:
        rr = "CNAME .";
        break;
      case Action::kNodata:
        rr = "CNAME *.";
        break;
      case Action::kPassthru:
        rr = "CNAME rpz-passthru.";
        break;
      case Action::kDrop:
        rr = "CNAME rpz-drop.";
        break;
      case Action::kLocalData:
        rr = local;
        break;
    }
    std::vector<std::string> names;
    if (i.kind == Kind::kDomain) {
      auto d = NormalizeDomain(i.value);
      if (!d) {
        Problem(st, i, d.error().message);
        continue;
      }
      if (d->size() + o.zone.size() + 3 > 253) {
        Problem(st, i, "name too long to fit below the RPZ zone name");
        continue;
      }
      names.push_back(*d);
      if (i.subdomains) names.push_back("*." + *d);
    } else {
      auto p = ParseIp(i.value);
      if (!p) {
        Problem(st, i, p.error().message);
        continue;
      }
      names.push_back(RpzIpOwner(*p));
    }
    bool any = false;
    for (const auto& n : names) {
      if (!owners.insert(n).second) continue;
      any = true;
      out += fmt::format("{} {}\n", n, rr);
    }
    if (any)
      ++st.written;
    else
      ++st.duplicates;
  }
  return out;
}

Result<std::map<std::string, std::string>> ExportMisp(std::span<const Indicator> in,
                                                      const ExportOptions& o, ExportStats& st) {
  Millis now = o.policy.now;
  std::string ts = fmt::format("{}", now / 1000);
  std::string date = FormatRfc3339(now).substr(0, 10);
  std::string org_uuid = NameUuid("entente-org:" + o.org_name);
  std::map<std::pair<std::string, int>, Json> events;  // (community, tlp) -> event
  std::string hashes;
  for (const Indicator& i : in) {
    const char* type = nullptr;
    const char* category = "Network activity";
    switch (i.kind) {
      case Kind::kDomain:
        type = "domain";
        break;
      case Kind::kIp:
        type = "ip-dst";
        break;
      case Kind::kUrl:
        type = "url";
        break;
      case Kind::kEmail:
        type = "email-src";
        category = "Payload delivery";
        break;
      case Kind::kMd5:
        type = "md5";
        category = "Payload delivery";
        break;
      case Kind::kSha1:
        type = "sha1";
        category = "Payload delivery";
        break;
      case Kind::kSha256:
        type = "sha256";
        category = "Payload delivery";
        break;
      case Kind::kRegex:
        break;
    }
    if (!type) {
      ++st.unsupported;
      continue;
    }
    if (!Include(i, o, st)) continue;
    auto v = CanonicalValue(i);
    if (!v) {
      Problem(st, i, v.error().message);
      continue;
    }
    auto key = std::make_pair(i.community, static_cast<int>(i.tlp));
    Json& ev = events[key];
    std::string tlp_tag = fmt::format("tlp:{}", TlpName(i.tlp));
    if (ev.is_null()) {
      std::string info =
          fmt::format("{}: {} indicators, TLP:{}", o.feed_name,
                      i.community.empty() ? std::string("shared") : i.community, TlpName(i.tlp));
      ev = {{"uuid", NameUuid(fmt::format("entente-event:{}:{}:{}", o.feed_name, i.community,
                                          TlpName(i.tlp)))},
            {"info", info},
            {"date", date},
            {"timestamp", ts},
            {"publish_timestamp", ts},
            {"published", true},
            {"analysis", "2"},
            {"threat_level_id", "3"},
            {"distribution", "0"},
            {"Orgc", {{"name", o.org_name}, {"uuid", org_uuid}}},
            {"Tag", Json::array({{{"name", tlp_tag}}})},
            {"Attribute", Json::array()}};
    }
    std::string comment = fmt::format("entente indicator {}", i.id);
    if (i.kind == Kind::kDomain && i.subdomains) comment += "; covers its subdomains";
    if (i.confidence >= 0) comment += fmt::format("; confidence {}", i.confidence);
    Json attr = {{"uuid", NameUuid("entente-attr:" + i.id)},
                 {"type", type},
                 {"category", category},
                 {"value", *v},
                 {"to_ids", true},
                 {"timestamp", ts},
                 {"comment", comment},
                 {"Tag", Json::array({{{"name", tlp_tag}},
                                      {{"name", fmt::format("PAP:{}", PapName(i.pap))}}})}};
    if (i.valid_from) attr["first_seen"] = FormatRfc3339(i.valid_from);
    if (i.valid_until) attr["last_seen"] = FormatRfc3339(i.valid_until);
    ev["Attribute"].push_back(std::move(attr));
    hashes += fmt::format("{},{}\n", Md5Hex(*v), ev["uuid"].get<std::string>());
    ++st.written;
  }
  std::map<std::string, std::string> files;
  Json manifest = Json::object();
  for (auto& [key, ev] : events) {
    std::string uuid = ev["uuid"];
    manifest[uuid] = {{"info", ev["info"]},
                      {"Orgc", ev["Orgc"]},
                      {"analysis", ev["analysis"]},
                      {"threat_level_id", ev["threat_level_id"]},
                      {"timestamp", ev["timestamp"]},
                      {"date", ev["date"]},
                      {"published", true},
                      {"Tag", ev["Tag"]}};
    files[uuid + ".json"] = Json{{"Event", ev}}.dump(1) + "\n";
  }
  files["manifest.json"] = manifest.dump(1) + "\n";
  files["hashes.csv"] = hashes;
  return files;
}

Result<std::map<std::string, std::string>> ExportSuricata(std::span<const Indicator> in,
                                                          const ExportOptions& o, ExportStats& st) {
  std::string domains, md5, sha1, sha256, subdomain_rules;
  std::vector<std::string> ips;
  std::unordered_set<std::string> seen;
  seen.reserve(in.size());
  std::uint32_t sid = o.first_sid;
  std::string rules = fmt::format("# Suricata rules from Entente indicators ({})\n", o.feed_name);
  for (const Indicator& i : in) {
    if (i.kind == Kind::kRegex || i.kind == Kind::kUrl || i.kind == Kind::kEmail) {
      ++st.unsupported;
      continue;
    }
    if (!Include(i, o, st)) continue;
    auto v = CanonicalValue(i);
    if (!v) {
      Problem(st, i, v.error().message);
      continue;
    }
    if (!seen.insert(std::string(KindName(i.kind)) + ":" + *v + (i.subdomains ? "/sub" : ""))
             .second) {
      ++st.duplicates;
      continue;
    }
    ++st.written;
    switch (i.kind) {
      case Kind::kDomain:
        if (i.subdomains) {
          // dotprefix turns "a.example.com" into ".a.example.com", so the
          // name itself and every subdomain end with ".example.com".
          subdomain_rules += fmt::format(
              "alert dns any any -> any any (msg:\"Entente {} (and subdomains) in DNS query\"; "
              "dns.query; "
              "dotprefix; content:\".{}\"; endswith; nocase; sid:{}; rev:1;)\n",
              *v, *v, ++sid);
        } else {
          domains += Base64(*v) + "\n";
        }
        break;
      case Kind::kIp:
        ips.push_back(*v);
        break;
      case Kind::kMd5:
        md5 += *v + "\n";
        break;
      case Kind::kSha1:
        sha1 += *v + "\n";
        break;
      case Kind::kSha256:
        sha256 += *v + "\n";
        break;
      default:
        break;
    }
  }
  std::map<std::string, std::string> files;
  if (!domains.empty()) {
    files["entente-domains.lst"] = domains;
    for (const char* buf : {"dns.query", "tls.sni", "http.host"}) {
      std::string proto = std::string(buf) == "dns.query" ? "dns"
                          : std::string(buf) == "tls.sni" ? "tls"
                                                          : "http";
      rules += fmt::format(
          "alert {} any any -> any any (msg:\"Entente listed domain in {}\"; {}; "
          "dataset:isset,entente-domains,type string,load entente-domains.lst; sid:{}; rev:1;)\n",
          proto, buf, buf, ++sid);
    }
  }
  rules += subdomain_rules;
  for (std::size_t k = 0; k < ips.size(); k += 500) {
    std::string list;
    for (std::size_t j = k; j < std::min(ips.size(), k + 500); ++j)
      list += (list.empty() ? "" : ",") + ips[j];
    rules += fmt::format(
        "alert ip any any -> [{}] any (msg:\"Entente listed address (destination)\"; sid:{}; "
        "rev:1;)\n",
        list, ++sid);
    rules += fmt::format(
        "alert ip [{}] any -> any any (msg:\"Entente listed address (source)\"; sid:{}; rev:1;)\n",
        list, ++sid);
  }
  for (auto [name, content, kw] : {std::tuple{"entente-md5.lst", &md5, "filemd5"},
                                   std::tuple{"entente-sha1.lst", &sha1, "filesha1"},
                                   std::tuple{"entente-sha256.lst", &sha256, "filesha256"}}) {
    if (content->empty()) continue;
    files[name] = *content;
    rules += fmt::format(
        "alert http any any -> any any (msg:\"Entente listed file hash ({})\"; {}:{}; sid:{}; "
        "rev:1;)\n",
        kw, kw, name, ++sid);
  }
  files["entente.rules"] = rules;
  return files;
}

Result<std::string> ExportZeekIntel(std::span<const Indicator> in, const ExportOptions& o,
                                    ExportStats& st) {
  std::string out = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n";
  std::unordered_set<std::string> seen;
  seen.reserve(in.size());
  auto clean = [](std::string s) {
    for (char& c : s)
      if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s.empty() ? std::string("-") : s;
  };
  for (const Indicator& i : in) {
    if (i.kind == Kind::kRegex) {
      ++st.unsupported;
      continue;
    }
    if (!Include(i, o, st)) continue;
    auto v = CanonicalValue(i);
    if (!v) {
      Problem(st, i, v.error().message);
      continue;
    }
    std::string type, value = *v;
    switch (i.kind) {
      case Kind::kDomain:
        type = "Intel::DOMAIN";
        break;
      case Kind::kIp: {
        auto p = ParseIp(value).value();
        type = p.prefix == p.MaxPrefix() ? "Intel::ADDR" : "Intel::SUBNET";
        break;
      }
      case Kind::kUrl:
        type = "Intel::URL";  // Zeek's URLs have no scheme
        value = value.substr(value.find("://") + 3);
        break;
      case Kind::kEmail:
        type = "Intel::EMAIL";
        break;
      default:
        type = "Intel::FILE_HASH";
        break;
    }
    if (!seen.insert(type + "\t" + value).second) {
      ++st.duplicates;
      continue;
    }
    std::string desc = fmt::format("{} TLP:{} PAP:{}{}{}", i.id, TlpName(i.tlp), PapName(i.pap),
                                   i.community.empty() ? "" : " community:", i.community);
    out += fmt::format("{}\t{}\t{}\t{}\n", clean(value), type, clean(o.feed_name), clean(desc));
    ++st.written;
  }
  return out;
}

Result<std::string> ExportCsv(std::span<const Indicator> in, const ExportOptions& o,
                              ExportStats& st) {
  auto q = [](std::string_view s) {
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
    std::string r = "\"";
    for (char c : s) {
      if (c == '"') r += '"';
      r += c;
    }
    return r + "\"";
  };
  std::string out =
      "id,kind,value,subdomains,tlp,pap,community,confidence,valid_from,valid_until\n";
  for (const Indicator& i : in) {
    if (!Include(i, o, st)) continue;
    auto v = CanonicalValue(i);
    if (!v) {
      Problem(st, i, v.error().message);
      continue;
    }
    out +=
        fmt::format("{},{},{},{},{},{},{},{},{},{}\n", q(i.id), KindName(i.kind), q(*v),
                    i.subdomains ? "true" : "false", TlpName(i.tlp), PapName(i.pap), q(i.community),
                    i.confidence >= 0 ? fmt::format("{}", i.confidence) : std::string(),
                    Rfc3339OrEmpty(i.valid_from), Rfc3339OrEmpty(i.valid_until));
    ++st.written;
  }
  return out;
}

}  // namespace entente::match
