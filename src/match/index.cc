#include "match/index.h"

#include <fmt/format.h>
#include <hs/hs.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>

namespace entente::match {
namespace {

inline std::uint64_t Load64(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t Mix(std::uint64_t a, std::uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}
// A small wyhash-style hash; good enough distribution for the table.
std::uint64_t Hash(std::string_view s, std::uint64_t seed) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                          k2 = 0x8ebc6af09c88c6e3ull;
  std::uint64_t h = seed ^ k0 ^ (s.size() * k2);
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    h = Mix(h ^ Load64(p), k1);
    p += 8;
    n -= 8;
  }
  std::uint64_t last = 0;
  for (std::size_t i = 0; i < n; ++i)
    last |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  h = Mix(h ^ last, k2);
  return Mix(h, k0 ^ k1);
}

inline std::size_t PutVarint(char* out, std::size_t v) {
  std::size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}
inline std::size_t GetVarint(const char* p, std::size_t& v) {
  v = 0;
  std::size_t n = 0;
  int shift = 0;
  while (true) {
    auto b = static_cast<unsigned char>(p[n++]);
    v |= static_cast<std::size_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) return n;
    shift += 7;
  }
}

inline std::uint32_t Seconds(Millis ms) {
  if (ms <= 0) return 0;
  Millis s = ms / 1000;
  return s > 0xFFFFFFFFll ? 0xFFFFFFFFu : static_cast<std::uint32_t>(s);
}

std::string IpKey(const IpPrefix& p) {
  std::string k(1 + p.Bytes(), '\0');
  k[0] = static_cast<char>(p.prefix);
  std::memcpy(k.data() + 1, p.addr.data(), p.Bytes());
  return k;
}

int RegexClass(Kind target) {
  switch (target) {
    case Kind::kUrl:
      return 1;
    case Kind::kEmail:
      return 2;
    case Kind::kIp:
      return 4;
    default:
      return 0;
  }
}

}  // namespace

std::string_view MatchTypeName(MatchType t) {
  switch (t) {
    case MatchType::kExact:
      return "exact";
    case MatchType::kSubdomain:
      return "subdomain";
    case MatchType::kCidr:
      return "cidr";
    case MatchType::kRegex:
      return "regex";
  }
  return "?";
}

double BuildStats::LookupBytesPerValueByte() const {
  return raw_value_bytes ? static_cast<double>(key_bytes + table_bytes) / raw_value_bytes : 0;
}

Index::KeyClass Index::ClassOf(Kind k) {
  switch (k) {
    case Kind::kDomain:
      return KeyClass::kDomain;
    case Kind::kUrl:
      return KeyClass::kUrl;
    case Kind::kEmail:
      return KeyClass::kEmail;
    case Kind::kIp:
      return KeyClass::kIp;
    default:
      return KeyClass::kHash;
  }
}

Index::~Index() {
  for (auto* db : regex_db_) hs_free_database(db);
  hs_free_scratch(scratch_proto_);
}

std::string_view Index::Key(std::uint32_t m) const {
  const char* rec = arena_.data() + meta_[m].record;
  std::size_t len;
  std::size_t vn = GetVarint(rec, len);
  return std::string_view(rec + vn, len);
}

std::string_view Index::Id(std::uint32_t m) const {
  std::string_view k = Key(m);
  return std::string_view(k.data() + k.size(), meta_[m].id_length);
}

// Tags are never 0: a 0 tag marks an empty slot, so probing reads only the
// tag bytes until a tag matches.
inline std::uint8_t TagOf(std::uint64_t h) {
  auto t = static_cast<std::uint8_t>(h);  // low bits: the slot comes from the high bits
  return t ? t : 1;
}

std::uint32_t Index::Find(KeyClass c, std::string_view key) const {
  if (slots_.empty()) return UINT32_MAX;
  std::uint64_t h = Hash(key, static_cast<std::uint64_t>(c) + 1);
  std::uint8_t tag = TagOf(h);
  std::size_t cap = slots_.size();
  std::size_t i = static_cast<std::size_t>((static_cast<__uint128_t>(h) * cap) >> 64);
  const std::uint8_t* tags = tags_.data();
#if defined(__SSE2__)
  // 16 tags at a time: tags_ holds 16 more bytes, a copy of the first 16, so
  // that a group starting near the end wraps around without a branch.
  if (tags_.size() == cap + 16) {
    const __m128i want = _mm_set1_epi8(static_cast<char>(tag)), zero = _mm_setzero_si128();
    while (true) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tags + i));
      const unsigned empty = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
      unsigned match = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, want)));
      if (empty) match &= (empty & (0u - empty)) - 1;  // only the tags before the first empty slot
      for (; match; match &= match - 1) {
        std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(match));
        if (at >= cap) at -= cap;
        const std::uint32_t m = slots_[at] - 1;
        if (ClassOf(meta_[m].kind) == c && Key(m) == key) return m;
      }
      if (empty) return UINT32_MAX;
      i += 16;
      if (i >= cap) i -= cap;
    }
  }
#endif
  while (true) {
    std::uint8_t t = tags[i];
    if (t == 0) return UINT32_MAX;
    if (t == tag) {
      std::uint32_t m = slots_[i] - 1;
      if (ClassOf(meta_[m].kind) == c && Key(m) == key) return m;
    }
    if (++i == cap) i = 0;
  }
}

constexpr std::uint64_t kFilterSeed = 0x5eed5eed5eed5eedull;

bool Index::DomainFilterHas(std::string_view s) const {
  const std::uint64_t b = Hash(s, kFilterSeed) & domain_filter_mask_;
  return (domain_filter_[b >> 6] >> (b & 63)) & 1;
}

void Index::Prefetch(KeyClass c, std::string_view key) const {
  if (slots_.empty()) return;
  const std::uint64_t h = Hash(key, static_cast<std::uint64_t>(c) + 1);
  const std::size_t i =
      static_cast<std::size_t>((static_cast<__uint128_t>(h) * slots_.size()) >> 64);
  __builtin_prefetch(tags_.data() + i);
}

namespace {

// The table while building: keys in a temporary arena, slots hold ordinals.
struct BuildTable {
  std::vector<std::uint32_t>& slots;
  std::vector<std::uint8_t>& tags;
  std::string keys;
  std::vector<std::uint32_t> offsets;  // ordinal -> offset in keys (+ one past the end)
  std::vector<std::uint8_t> classes;

  std::uint32_t FindOrInsert(std::uint8_t c, std::string_view key, bool& inserted) {
    std::uint64_t h = Hash(key, static_cast<std::uint64_t>(c) + 1);
    std::uint8_t tag = TagOf(h);
    std::size_t cap = slots.size();
    std::size_t i = static_cast<std::size_t>((static_cast<__uint128_t>(h) * cap) >> 64);
    while (true) {
      std::uint32_t s = slots[i];
      if (s == 0) break;
      std::uint32_t o = s - 1;
      if (tags[i] == tag && classes[o] == c &&
          std::string_view(keys).substr(offsets[o], offsets[o + 1] - offsets[o]) == key) {
        inserted = false;
        return o;
      }
      if (++i == cap) i = 0;
    }
    auto o = static_cast<std::uint32_t>(classes.size());
    keys.append(key);
    offsets.push_back(static_cast<std::uint32_t>(keys.size()));
    classes.push_back(c);
    slots[i] = o + 1;
    tags[i] = tag;
    inserted = true;
    return o;
  }
};

}  // namespace

Result<std::shared_ptr<const Index>> Index::Build(std::span<const Indicator> indicators,
                                                  const Policy& policy) {
  std::shared_ptr<Index> ix(new Index());
  BuildStats& st = ix->stats_;
  st.input = indicators.size();
  if (indicators.size() >= (1u << 29))
    return Invalid("too many indicators for one index (max 2^29)");

  auto issue = [&](const Indicator& in, std::string msg) {
    ++st.invalid;
    if (st.issues.size() < 100) st.issues.push_back({in.id, std::move(msg)});
  };

  // Pass 1: validate, normalise and insert the keys; remember each accepted
  // indicator's key ordinal.
  std::size_t cap = std::max<std::size_t>(16, indicators.size() * 5 / 4 + 1);
  ix->slots_.assign(cap, 0);
  ix->tags_.assign(cap, 0);
  std::vector<std::uint32_t> ordinal_of(indicators.size(), UINT32_MAX);
  std::vector<std::uint32_t> count;  // indicators per key ordinal
  BuildTable bt{ix->slots_, ix->tags_, {}, {0}, {}};
  std::vector<std::size_t> regex_inputs;
  std::string key;
  std::vector<std::string> communities;
  std::vector<std::uint64_t> filter_hashes;  // of the domain keys
  for (std::size_t i = 0; i < indicators.size(); ++i) {
    const Indicator& in = indicators[i];
    if (in.revoked) {
      ++st.revoked;
      continue;
    }
    if (policy.now != 0 && ((in.valid_until != 0 && in.valid_until <= policy.now))) {
      ++st.expired;
      continue;
    }
    if (!policy.Allows(in)) {
      ++st.not_allowed;
      continue;
    }
    if (in.id.size() > 0xFFFF) {
      issue(in, "indicator id longer than 65535 bytes");
      continue;
    }
    KeyClass cls = ClassOf(in.kind);
    switch (in.kind) {
      case Kind::kDomain: {
        auto d = NormalizeDomain(in.value);
        if (!d) {
          issue(in, d.error().message);
          continue;
        }
        key = std::move(*d);
        std::size_t labels = 1 + static_cast<std::size_t>(std::count(key.begin(), key.end(), '.'));
        ix->domain_labels_ |= 1ull << std::min<std::size_t>(labels, 63);
        {
          // The filter's string: the last two labels (see index.h).
          std::string_view f = key;
          if (labels >= 2) {
            std::size_t last = f.rfind('.');
            std::size_t prev = f.rfind('.', last - 1);
            if (last > 0 && prev != std::string_view::npos) f.remove_prefix(prev + 1);
          }
          filter_hashes.push_back(Hash(f, kFilterSeed));
        }
        break;
      }
      case Kind::kIp: {
        auto p = ParseIp(in.value);
        if (!p) {
          issue(in, p.error().message);
          continue;
        }
        key = IpKey(*p);
        if (p->v6)
          ix->v6_lengths_[p->prefix / 64] |= 1ull << (p->prefix % 64);
        else
          ix->v4_lengths_ |= 1ull << p->prefix;
        break;
      }
      case Kind::kUrl: {
        auto u = NormalizeUrl(in.value);
        if (!u) {
          issue(in, u.error().message);
          continue;
        }
        key = std::move(*u);
        break;
      }
      case Kind::kEmail: {
        auto e = NormalizeEmail(in.value);
        if (!e) {
          issue(in, e.error().message);
          continue;
        }
        key = std::move(*e);
        break;
      }
      case Kind::kMd5:
      case Kind::kSha1:
      case Kind::kSha256: {
        auto h = ParseHexHash(in.value);
        std::size_t want = in.kind == Kind::kMd5 ? 16 : in.kind == Kind::kSha1 ? 20 : 32;
        if (!h) {
          issue(in, h.error().message);
          continue;
        }
        if (h->size() != want) {
          issue(in, fmt::format("{} hash must have {} hex digits, not {}", KindName(in.kind),
                                want * 2, in.value.size()));
          continue;
        }
        key = std::move(*h);
        break;
      }
      case Kind::kRegex:
        if (in.value.empty()) {
          issue(in, "empty regular expression");
          continue;
        }
        regex_inputs.push_back(i);
        continue;
    }
    bool inserted;
    std::uint32_t o = bt.FindOrInsert(static_cast<std::uint8_t>(cls), key, inserted);
    if (inserted) count.push_back(0);
    ++count[o];
    ordinal_of[i] = o;
    st.raw_value_bytes += in.value.size();
  }
  st.keys = count.size();

  // Regexes: compile together per target class; drop the ones Vectorscan
  // rejects (reported) and retry.
  std::vector<std::size_t> regex_ok[5];
  for (std::size_t i : regex_inputs) regex_ok[RegexClass(indicators[i].target)].push_back(i);

  // Pass 2: metadata, grouped by key (prefix sums), then regexes.
  std::size_t total = 0;
  std::vector<std::uint32_t> start(count.size());
  for (std::size_t o = 0; o < count.size(); ++o) {
    start[o] = static_cast<std::uint32_t>(total);
    total += count[o];
  }
  std::size_t keyed = total;
  total += regex_inputs.size();
  ix->meta_.resize(total);
  std::vector<std::uint32_t> fill(count.size(), 0);
  auto intern = [&](const std::string& c) -> std::uint16_t {
    for (std::size_t k = 0; k < ix->communities_.size(); ++k)
      if (ix->communities_[k] == c) return static_cast<std::uint16_t>(k);
    ix->communities_.push_back(c);
    st.id_bytes += c.size();
    return static_cast<std::uint16_t>(ix->communities_.size() - 1);
  };
  auto make_meta = [&](const Indicator& in, std::string_view k) -> Result<Meta> {
    Meta m{};
    if (ix->arena_.size() + k.size() + in.id.size() + 10 > UINT32_MAX)
      return Fail(ErrorCode::kResourceExhausted, "indicators too large for one index (4 GB arena)");
    m.record = static_cast<std::uint32_t>(ix->arena_.size());
    char head[10];
    std::size_t vn = PutVarint(head, k.size());
    ix->arena_.append(head, vn);
    ix->arena_.append(k);
    st.key_bytes += vn + k.size();
    m.id_length = static_cast<std::uint16_t>(in.id.size());
    ix->arena_ += in.id;
    st.id_bytes += in.id.size();
    if (ix->communities_.size() >= 0xFFFF)
      return Invalid("more than 65535 communities in one index");
    m.community = intern(in.community);
    m.kind = in.kind;
    m.tlp = in.tlp;
    m.pap = in.pap;
    m.flags = in.subdomains && in.kind == Kind::kDomain ? Meta::kSubdomains : 0;
    m.confidence = static_cast<std::int8_t>(std::clamp(in.confidence, -1, 100));
    m.valid_from_s = Seconds(in.valid_from);
    m.valid_until_s = Seconds(in.valid_until);
    return m;
  };
  for (std::size_t i = 0; i < indicators.size(); ++i) {
    std::uint32_t o = ordinal_of[i];
    if (o == UINT32_MAX) continue;
    Meta m = ENTENTE_TRY(make_meta(
        indicators[i],
        std::string_view(bt.keys).substr(bt.offsets[o], bt.offsets[o + 1] - bt.offsets[o])));
    std::uint32_t at = start[o] + fill[o]++;
    if (fill[o] == count[o]) m.flags |= Meta::kLastOfKey;
    ix->meta_[at] = m;
  }
  // The slots now point at each key's first metadata record.
  for (std::uint32_t& s : ix->slots_)
    if (s != 0) s = start[s - 1] + 1;
  bt.keys.clear();
  bt.keys.shrink_to_fit();
  bt.offsets = {};
  st.indexed = keyed;

  std::size_t next = keyed;
  for (int cls = 0; cls < 5; ++cls) {
    auto& list = regex_ok[cls];
    while (!list.empty()) {
      std::vector<const char*> exprs;
      std::vector<unsigned> flags, ids;
      for (std::size_t k = 0; k < list.size(); ++k) {
        exprs.push_back(indicators[list[k]].value.c_str());
        flags.push_back(HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY);
        ids.push_back(static_cast<unsigned>(next + k));
      }
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                           static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr, &db,
                           &err) == HS_SUCCESS) {
        for (std::size_t k = 0; k < list.size(); ++k) {
          Meta m = ENTENTE_TRY(make_meta(indicators[list[k]], {}));
          m.flags |= Meta::kLastOfKey;
          ix->meta_[next + k] = m;
        }
        next += list.size();
        st.regexes += list.size();
        st.indexed += list.size();
        std::size_t size = 0;
        hs_database_size(db, &size);
        st.regex_bytes += size;
        ix->regex_db_[cls] = db;
        if (hs_alloc_scratch(db, &ix->scratch_proto_) != HS_SUCCESS) {
          return Fail(ErrorCode::kInternal, "cannot allocate Vectorscan scratch space");
        }
        break;
      }
      int bad = err->expression;
      std::string msg = err->message;
      hs_free_compile_error(err);
      if (bad < 0 || bad >= static_cast<int>(list.size()))
        return Fail(ErrorCode::kInternal, "Vectorscan cannot compile the regexes: " + msg);
      issue(indicators[list[bad]], "regular expression not supported: " + msg);
      list.erase(list.begin() + bad);
    }
  }
  ix->meta_.resize(next);
  ix->arena_.shrink_to_fit();
  // The probe reads 16 tags at a time: a copy of the first 16 after the end.
  for (std::size_t k = 0; k < 16; ++k) ix->tags_.push_back(ix->tags_[k % cap]);
  st.table_bytes = ix->slots_.size() * 5;
  if (!filter_hashes.empty()) {
    std::size_t bits = 64;
    while (bits < filter_hashes.size() * 8) bits *= 2;
    ix->domain_filter_.assign(bits / 64, 0);
    ix->domain_filter_mask_ = bits - 1;
    for (std::uint64_t h : filter_hashes) {
      const std::uint64_t b = h & ix->domain_filter_mask_;
      ix->domain_filter_[b >> 6] |= 1ull << (b & 63);
    }
    st.filter_bytes = bits / 8;
  }
  st.meta_bytes = ix->meta_.size() * sizeof(Meta);
  return std::shared_ptr<const Index>(std::move(ix));
}

Matcher::Matcher(std::shared_ptr<const Index> index, Millis now) : index_(std::move(index)) {
  SetNow(now);
  if (index_->scratch_proto_) hs_clone_scratch(index_->scratch_proto_, &scratch_);
}

Matcher::~Matcher() { hs_free_scratch(scratch_); }

bool Matcher::Valid(const Meta& m) const {
  if (now_s_ == 0) return true;
  if (m.valid_from_s != 0 && now_s_ < m.valid_from_s) return false;
  if (m.valid_until_s != 0 && now_s_ >= m.valid_until_s) return false;
  return true;
}

void Matcher::AddKey(Index::KeyClass c, std::string_view key, MatchType type, bool subdomains_only,
                     std::uint8_t prefix) {
  std::uint32_t m = index_->Find(c, key);
  if (m == UINT32_MAX) return;
  const auto& metas = index_->meta_;
  while (true) {
    const Meta& x = metas[m];
    if ((!subdomains_only || (x.flags & Meta::kSubdomains)) && Valid(x))
      hits_.push_back({m, type, prefix});
    if (x.flags & Meta::kLastOfKey) break;
    ++m;
  }
}

namespace {
struct RegexCtx {
  std::vector<Hit>* hits;
};
int OnRegex(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  static_cast<RegexCtx*>(ctx)->hits->push_back({id, MatchType::kRegex, 0});
  return 0;
}
}  // namespace

void Matcher::AddRegex(int cls, std::string_view text) {
  hs_database_t* db = index_->regex_db_[cls];
  if (!db || !scratch_) return;
  std::size_t before = hits_.size();
  RegexCtx ctx{&hits_};
  hs_scan(db, text.data(), static_cast<unsigned>(text.size()), 0, scratch_, OnRegex, &ctx);
  // Drop the ones outside their validity.
  std::size_t w = before;
  for (std::size_t r = before; r < hits_.size(); ++r)
    if (Valid(index_->meta_[hits_[r].meta])) hits_[w++] = hits_[r];
  hits_.resize(w);
}

namespace {
// The offsets where the suffixes of `name` start (0 and after each dot), left
// to right; returns their number (a name of n labels has n suffixes).
inline std::size_t SuffixStarts(std::string_view name, std::uint16_t* starts) {
  std::size_t n = 0;
  starts[n++] = 0;
  const char* p = name.data();
  const char* e = p + name.size();
  while ((p = static_cast<const char*>(std::memchr(p, '.', static_cast<std::size_t>(e - p))))) {
    ++p;
    if (n < 256) starts[n++] = static_cast<std::uint16_t>(p - name.data());
  }
  return n;
}
}  // namespace

// The pre-filter (index.h): false when no domain key can match `name` (its
// n suffixes start at `starts`).
bool Matcher::MayHaveDomainKey(const Index& ix, std::string_view name, const std::uint16_t* starts,
                               std::size_t n) {
  if (ix.domain_filter_.empty()) return true;
  if (n >= 2 && ix.DomainFilterHas(name.substr(starts[n - 2]))) return true;
  return (ix.domain_labels_ & 2) && ix.DomainFilterHas(name.substr(starts[n - 1]));
}

bool Matcher::PrefetchDomain(std::string_view name) const {
  const std::uint64_t present = index_->domain_labels_;
  const bool regex = index_->regex_db_[0] != nullptr;
  if (present == 0) return regex;
  if (name.size() > 1024) return true;
  std::uint16_t starts[256];
  const std::size_t n = SuffixStarts(name, starts);
  if (n < 256 && !MayHaveDomainKey(*index_, name, starts, n)) return regex;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t labels = n - k;
    if ((present >> std::min<std::size_t>(labels, 63)) & 1)
      index_->Prefetch(Index::KeyClass::kDomain, name.substr(starts[k]));
  }
  return true;
}

std::span<const Hit> Matcher::MatchDomain(std::string_view name) {
  hits_.clear();
  std::uint64_t present = index_->domain_labels_;
  if (present == 0) {
    AddRegex(0, name);
    return hits_;
  }
  if (name.size() <= 1024) {
    // One pass over the name for its dots (a normalised name has at most 127).
    std::uint16_t starts[256];
    const std::size_t n = SuffixStarts(name, starts);
    if (n < 256) {
      if (!MayHaveDomainKey(*index_, name, starts, n)) {
        AddRegex(0, name);
        return hits_;
      }
      for (std::size_t k = 0; k < n; ++k) {
        const std::size_t labels = n - k;
        if ((present >> std::min<std::size_t>(labels, 63)) & 1)
          AddKey(Index::KeyClass::kDomain, name.substr(starts[k]),
                 k == 0 ? MatchType::kExact : MatchType::kSubdomain, k != 0);
      }
      AddRegex(0, name);
      return hits_;
    }
  }
  std::size_t labels = 1 + static_cast<std::size_t>(std::count(name.begin(), name.end(), '.'));
  if ((present >> std::min<std::size_t>(labels, 63)) & 1)
    AddKey(Index::KeyClass::kDomain, name, MatchType::kExact, false);
  for (std::size_t dot = name.find('.'); dot != std::string_view::npos;
       dot = name.find('.', dot + 1)) {
    --labels;
    if ((present >> std::min<std::size_t>(labels, 63)) & 1)
      AddKey(Index::KeyClass::kDomain, name.substr(dot + 1), MatchType::kSubdomain, true);
  }
  AddRegex(0, name);
  return hits_;
}

std::span<const Hit> Matcher::MatchIp(const IpPrefix& a) {
  hits_.clear();
  int max = a.MaxPrefix();
  for (int len = std::min<int>(a.prefix, max); len >= 0; --len) {
    bool present =
        a.v6 ? (index_->v6_lengths_[len / 64] >> (len % 64)) & 1 : (index_->v4_lengths_ >> len) & 1;
    if (!present) continue;
    IpPrefix m = Masked(a, len);
    key_.assign(1, static_cast<char>(len));
    key_.append(reinterpret_cast<const char*>(m.addr.data()), a.Bytes());
    AddKey(Index::KeyClass::kIp, key_, len == max ? MatchType::kExact : MatchType::kCidr, false,
           static_cast<std::uint8_t>(len));
  }
  if (index_->regex_db_[4]) {
    std::string text = a.ToString();
    AddRegex(4, text);
  }
  return hits_;
}

std::span<const Hit> Matcher::MatchUrl(std::string_view url) {
  hits_.clear();
  AddKey(Index::KeyClass::kUrl, url, MatchType::kExact, false);
  AddRegex(1, url);
  return hits_;
}

std::span<const Hit> Matcher::MatchEmail(std::string_view email) {
  hits_.clear();
  AddKey(Index::KeyClass::kEmail, email, MatchType::kExact, false);
  AddRegex(2, email);
  return hits_;
}

std::span<const Hit> Matcher::MatchHash(std::string_view raw) {
  hits_.clear();
  AddKey(Index::KeyClass::kHash, raw, MatchType::kExact, false);
  return hits_;
}

Result<std::span<const Hit>> Matcher::Match(std::string_view value, std::optional<Kind> kind) {
  std::string v(value);
  bool sub = false;
  Kind k = kind ? *kind : DetectKind(v, sub);
  switch (k) {
    case Kind::kDomain: {
      std::string d = ENTENTE_TRY(NormalizeDomain(v));
      return MatchDomain(d);
    }
    case Kind::kIp: {
      IpPrefix p = ENTENTE_TRY(ParseIp(v));
      return MatchIp(p);
    }
    case Kind::kUrl: {
      std::string u = ENTENTE_TRY(NormalizeUrl(v));
      return MatchUrl(u);
    }
    case Kind::kEmail: {
      std::string e = ENTENTE_TRY(NormalizeEmail(v));
      return MatchEmail(e);
    }
    case Kind::kMd5:
    case Kind::kSha1:
    case Kind::kSha256: {
      std::string h = ENTENTE_TRY(ParseHexHash(v));
      return MatchHash(h);
    }
    case Kind::kRegex:
      return Invalid("cannot match a value of kind regex");
  }
  return Invalid("unknown kind");
}

}  // namespace entente::match
