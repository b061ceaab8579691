#include "intel/correlation.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace entente::intel {

namespace {

constexpr size_t kMaxKeysPerObject = 1000;

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string Hex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

// An address or CIDR of the family (4 or 16 bytes): network bytes and prefix length.
struct Network {
  std::array<unsigned char, 16> bytes{};
  size_t size = 4;
  int length = 32;
};

std::optional<Network> ParseNetwork(std::string_view text, bool v6) {
  Network n;
  n.size = v6 ? 16 : 4;
  const int max_len = v6 ? 128 : 32;
  n.length = max_len;
  std::string addr(text);
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = std::string(text.substr(0, slash));
    std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3) return std::nullopt;
    int l = 0;
    for (char c : len) {
      if (c < '0' || c > '9') return std::nullopt;
      l = l * 10 + (c - '0');
    }
    if (l > max_len) return std::nullopt;
    n.length = l;
  }
  if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), n.bytes.data()) != 1) return std::nullopt;
  // Clear host bits.
  for (size_t bit = static_cast<size_t>(n.length); bit < n.size * 8; ++bit)
    n.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
  return n;
}

std::string NetworkText(const Network& n) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(n.size == 16 ? AF_INET6 : AF_INET, n.bytes.data(), buf, sizeof buf);
  if (n.length == static_cast<int>(n.size * 8)) return buf;
  return fmt::format("{}/{}", buf, n.length);
}

ObservableKey NetworkKey(const Network& n) {
  ObservableKey k;
  k.kind = n.size == 16 ? "ipv6" : "ipv4";
  k.value = NetworkText(n);
  Network last = n;
  for (size_t bit = static_cast<size_t>(n.length); bit < n.size * 8; ++bit)
    last.bytes[bit / 8] |= static_cast<unsigned char>(0x80u >> (bit % 8));
  k.range_lo = Hex(n.bytes.data(), n.size);
  k.range_hi = Hex(last.bytes.data(), n.size);
  return k;
}

// "www.example.com" -> "com.example.www."
std::string ReversedLabels(std::string_view domain) {
  std::string out;
  out.reserve(domain.size() + 1);
  size_t end = domain.size();
  while (true) {
    size_t dot = domain.rfind('.', end == 0 ? 0 : end - 1);
    if (end == 0) break;
    if (dot == std::string_view::npos || dot >= end) {
      out.append(domain.substr(0, end));
      out.push_back('.');
      break;
    }
    out.append(domain.substr(dot + 1, end - dot - 1));
    out.push_back('.');
    end = dot;
  }
  return out;
}

bool PlausibleDomain(std::string_view d) {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.find("..") != std::string_view::npos)
    return false;
  for (char c : d)
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '@') return false;
  return true;
}

std::optional<std::string> NormaliseUrl(std::string_view url) {
  if (url.empty() || url.size() > 8192) return std::nullopt;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) return std::string(url);
  std::string scheme = AsciiLower(url.substr(0, colon));
  std::string_view rest = url.substr(colon + 3);
  size_t path_at = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view tail = path_at == std::string_view::npos ? "" : rest.substr(path_at);
  if (auto hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  // user:pass@ stays as written; the host is lower-cased and the default port dropped.
  std::string userinfo;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = std::string(authority.substr(0, at + 1));
    authority = authority.substr(at + 1);
  }
  std::string host = AsciiLower(authority);
  std::string port;
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (auto c = host.rfind(':'); c != std::string::npos && c + 1 < host.size() &&
                                host.find_first_not_of("0123456789", c + 1) == std::string::npos) {
    port = host.substr(c + 1);
    host.resize(c);
  }
  while (!host.empty() && host.back() == '.') host.pop_back();
  if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443")) port.clear();
  if (!port.empty()) host += ":" + port;
  std::string out = scheme + "://" + userinfo + host;
  if (tail.empty() || tail.front() != '/') out.push_back('/');
  out.append(tail);
  return out;
}

std::string HashKind(std::string_view algorithm) {
  if (algorithm == "MD5") return "md5";
  if (algorithm == "SHA-1") return "sha1";
  if (algorithm == "SHA-256") return "sha256";
  return "hash:" + AsciiLower(algorithm);
}

void AddKey(std::vector<ObservableKey>& out, std::optional<ObservableKey> k) {
  if (!k || out.size() >= kMaxKeysPerObject) return;
  if (std::find(out.begin(), out.end(), *k) == out.end()) out.push_back(std::move(*k));
}

}  // namespace

std::optional<ObservableKey> ObservableKeyOf(const Observable& o) {
  if (o.value.empty()) return std::nullopt;
  if (o.type == "domain-name") {
    std::string d = AsciiLower(o.value);
    while (!d.empty() && d.back() == '.') d.pop_back();
    if (!PlausibleDomain(d)) return std::nullopt;
    ObservableKey k{"domain", d, ReversedLabels(d), std::nullopt};
    return k;
  }
  if (o.type == "ipv4-addr" || o.type == "ipv6-addr") {
    auto n = ParseNetwork(o.value, o.type == "ipv6-addr");
    if (!n) return std::nullopt;
    return NetworkKey(*n);
  }
  if (o.type == "url") {
    auto u = NormaliseUrl(o.value);
    if (!u) return std::nullopt;
    return ObservableKey{"url", *u, std::nullopt, std::nullopt};
  }
  if (o.type == "email-addr") {
    if (o.value.size() > 320) return std::nullopt;
    return ObservableKey{"email", AsciiLower(o.value), std::nullopt, std::nullopt};
  }
  if (o.type == "file-hash") {
    std::string v = AsciiLower(o.value);
    if (v.size() > 512) return std::nullopt;
    for (char c : v)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
    return ObservableKey{HashKind(o.hash_algorithm), v, std::nullopt, std::nullopt};
  }
  return std::nullopt;
}

std::vector<ObservableKey> ObservableKeysOfPattern(const Pattern& pattern) {
  std::vector<ObservableKey> out;
  for (const auto& o : ExtractObservables(pattern)) AddKey(out, ObservableKeyOf(o));
  return out;
}

std::vector<ObservableKey> ObservableKeysOf(const Json& object) {
  std::vector<ObservableKey> out;
  if (!object.is_object()) return out;
  auto type_it = object.find("type");
  if (type_it == object.end() || !type_it->is_string()) return out;
  const std::string& type = type_it->get_ref<const std::string&>();
  if (type == "indicator") {
    auto pt = object.find("pattern_type");
    auto p = object.find("pattern");
    if (pt != object.end() && *pt == "stix" && p != object.end() && p->is_string()) {
      if (auto parsed = ParsePattern(p->get_ref<const std::string&>()))
        out = ObservableKeysOfPattern(*parsed);
    }
    return out;
  }
  if (type == "domain-name" || type == "ipv4-addr" || type == "ipv6-addr" || type == "url" ||
      type == "email-addr") {
    auto v = object.find("value");
    if (v != object.end() && v->is_string())
      AddKey(out, ObservableKeyOf(Observable{type, v->get<std::string>(), ""}));
    return out;
  }
  if (type == "file" || type == "artifact") {
    auto h = object.find("hashes");
    if (h != object.end() && h->is_object()) {
      for (const auto& [alg, value] : h->items()) {
        if (!value.is_string()) continue;
        std::string up;
        for (char c : alg)
          up.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
        if (up == "SHA256") up = "SHA-256";
        if (up == "SHA1") up = "SHA-1";
        AddKey(out, ObservableKeyOf(Observable{"file-hash", value.get<std::string>(), up}));
      }
    }
  }
  return out;
}

// ---- queries ----------------------------------------------------------------

namespace {

struct Subject {
  std::int64_t seq = 0;
  std::string id, author, community;
  std::string content;
};

// Supernets of a network (shorter prefixes), as values.
std::vector<std::string> Supernets(const ObservableKey& key) {
  std::vector<std::string> out;
  auto n = ParseNetwork(key.value, key.kind == "ipv6");
  if (!n) return out;
  for (int len = 0; len < n->length; ++len) {
    Network s = *n;
    s.length = len;
    for (size_t bit = static_cast<size_t>(len); bit < s.size * 8; ++bit)
      s.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    out.push_back(NetworkText(s));
  }
  return out;
}

// Parent domains with at least two labels: a.b.example.com -> b.example.com, example.com.
std::vector<std::string> ParentDomains(const std::string& domain) {
  std::vector<std::string> out;
  size_t at = domain.find('.');
  while (at != std::string::npos) {
    std::string parent = domain.substr(at + 1);
    if (parent.find('.') == std::string::npos) break;
    out.push_back(parent);
    at = domain.find('.', at + 1);
  }
  return out;
}

}  // namespace

Result<std::vector<CorrelationGroup>> Correlate(store::Database& db, const Reader& reader,
                                                std::string_view object_id,
                                                const CorrelationOptions& options) {
  Subject subject;
  {
    store::Params params{std::string(object_id)};
    std::string sql =
        "SELECT seq, stix_id, COALESCE(created_by_ref, owner_org, ''), COALESCE(community_id, ''), "
        "content FROM intel_objects WHERE stix_id = ? AND is_latest = 1 AND " +
        ReaderSql(reader, params);
    auto rows = ENTENTE_TRY(db.Query(sql, params));
    if (rows.empty()) return Fail(ErrorCode::kNotFound, "no such object");
    subject =
        Subject{rows[0].Int(0), rows[0].Text(1), rows[0].Text(2), rows[0].Text(3), rows[0].Text(4)};
  }
  Json content = Json::parse(subject.content, nullptr, false);
  std::vector<ObservableKey> keys = ObservableKeysOf(content);
  if (keys.size() > options.max_keys) keys.resize(options.max_keys);

  std::vector<CorrelationGroup> groups;
  for (const auto& key : keys) {
    CorrelationGroup group;
    group.key = key;
    // The postings of one relation, at most scan_limit of them (the newest),
    // joined to the objects the reader may see.
    auto run = [&](std::string_view relation, const std::string& posting_where,
                   store::Params posting_params) -> Status {
      // The newest postings for an exact value (the primary key's order);
      // index order for lists and ranges (no sort of an unbounded set).
      const std::string postings = fmt::format(
          "SELECT obj_seq, value FROM intel_observables WHERE kind = ? AND {}{} LIMIT {}",
          posting_where, relation == "same" ? " ORDER BY obj_seq DESC" : "", options.scan_limit);
      store::Params params{key.kind};
      for (auto& p : posting_params) params.push_back(std::move(p));
      std::string where =
          "o.is_latest = 1 AND o.revoked = 0 AND o.stix_id <> ? AND "
          "(COALESCE(o.created_by_ref, o.owner_org, '') <> ? OR COALESCE(o.community_id, '') <> ?)";
      params.emplace_back(subject.id);
      params.emplace_back(subject.author);
      params.emplace_back(subject.community);
      where += " AND " + ReaderSql(reader, params, "o.");
      // Count (within the scanned postings) and the first matches.
      std::string count_sql = fmt::format(
          "SELECT COUNT(*), (SELECT COUNT(*) FROM ({}) q) FROM ({}) p JOIN intel_objects o ON "
          "o.seq = p.obj_seq WHERE {}",
          postings, postings, where);
      // Parameter order: the scan (for the capped test), the scan, the filter.
      store::Params scan_only(
          params.begin(), params.begin() + 1 + static_cast<std::ptrdiff_t>(posting_params.size()));
      store::Params all = scan_only;
      all.insert(all.end(), params.begin(), params.end());
      auto counted = ENTENTE_TRY(db.Query(count_sql, all));
      const auto matched = static_cast<size_t>(counted[0].Int(0));
      const auto scanned = static_cast<size_t>(counted[0].Int(1));
      group.count += matched;
      if (scanned >= options.scan_limit) group.count_capped = true;
      if (matched == 0) return Ok();
      std::string list_sql = fmt::format(
          "SELECT o.stix_id, o.type, p.value, COALESCE(o.owner_org, ''), "
          "COALESCE(o.community_id, ''), COALESCE(o.created_by_ref, ''), o.tlp, o.content FROM "
          "({}) p JOIN intel_objects o ON o.seq = p.obj_seq WHERE {} LIMIT {}",
          postings, where, options.limit);
      auto rows = ENTENTE_TRY(db.Query(list_sql, params));
      for (const auto& r : rows) {
        CorrelatedObject m;
        m.id = r.Text(0);
        m.type = r.Text(1);
        m.value = r.Text(2);
        m.relation = std::string(relation);
        m.owner_org = r.Text(3);
        m.community_id = r.Text(4);
        m.created_by_ref = r.Text(5);
        m.tlp = r.OptText(6);
        Json c = Json::parse(r.Text(7), nullptr, false);
        if (c.is_object() && c.contains("name") && c["name"].is_string())
          m.name = c["name"].get<std::string>();
        group.matches.push_back(std::move(m));
      }
      return Ok();
    };
    ENTENTE_CHECK(run("same", "value = ?", {key.value}));
    if (key.kind == "domain") {
      const std::string lo = *key.range_lo;  // "com.example."
      std::string hi = lo;
      hi.back() = '/';  // the character after '.'
      ENTENTE_CHECK(run("within", "range_lo > ? AND range_lo < ?", {lo, hi}));
      auto parents = ParentDomains(key.value);
      if (!parents.empty()) {
        std::string in = "value IN (";
        store::Params ps;
        for (size_t i = 0; i < parents.size(); ++i) {
          in += i ? ",?" : "?";
          ps.emplace_back(parents[i]);
        }
        ENTENTE_CHECK(run("contains", in + ")", std::move(ps)));
      }
    } else if (key.kind == "ipv4" || key.kind == "ipv6") {
      if (*key.range_lo != *key.range_hi) {
        ENTENTE_CHECK(
            run("within",
                "range_lo >= ? AND range_lo <= ? AND range_hi <= ? AND "
                "NOT (range_lo = ? AND range_hi = ?)",
                {*key.range_lo, *key.range_hi, *key.range_hi, *key.range_lo, *key.range_hi}));
      }
      auto supernets = Supernets(key);
      if (!supernets.empty()) {
        std::string in = "value IN (";
        store::Params ps;
        for (size_t i = 0; i < supernets.size(); ++i) {
          in += i ? ",?" : "?";
          ps.emplace_back(supernets[i]);
        }
        ENTENTE_CHECK(run("contains", in + ")", std::move(ps)));
      }
    }
    if (group.matches.empty() && group.count == 0) continue;
    static constexpr std::array<std::string_view, 3> kOrder = {"same", "within", "contains"};
    auto rank = [](const std::string& r) {
      return std::find(kOrder.begin(), kOrder.end(), r) - kOrder.begin();
    };
    std::sort(group.matches.begin(), group.matches.end(), [&](const auto& a, const auto& b) {
      return std::pair(rank(a.relation), a.id) < std::pair(rank(b.relation), b.id);
    });
    if (group.matches.size() > options.limit) group.matches.resize(options.limit);
    groups.push_back(std::move(group));
  }
  return groups;
}

Json CorrelationsJson(const std::vector<CorrelationGroup>& groups) {
  Json out = Json::array();
  for (const auto& g : groups) {
    Json matches = Json::array();
    for (const auto& m : g.matches) {
      Json j = {{"id", m.id},
                {"type", m.type},
                {"value", m.value},
                {"relation", m.relation},
                {"owner_org", m.owner_org.empty() ? Json(nullptr) : Json(m.owner_org)},
                {"community_id", m.community_id.empty() ? Json(nullptr) : Json(m.community_id)},
                {"tlp", m.tlp ? Json(*m.tlp) : Json(nullptr)}};
      if (!m.name.empty()) j["name"] = m.name;
      if (!m.created_by_ref.empty()) j["created_by_ref"] = m.created_by_ref;
      matches.push_back(std::move(j));
    }
    out.push_back({{"kind", g.key.kind},
                   {"value", g.key.value},
                   {"count", g.count},
                   {"count_capped", g.count_capped},
                   {"matches", std::move(matches)}});
  }
  return out;
}

}  // namespace entente::intel
