#include "intel/repository.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "intel/access.h"
#include "intel/correlation.h"
#include "jcs/jcs.h"

namespace entente::intel {

std::string_view FateName(Fate fate) {
  switch (fate) {
    case Fate::kAdded:
      return "added";
    case Fate::kUnchanged:
      return "unchanged";
    case Fate::kIgnoredOlder:
      return "ignored_older";
    case Fate::kRejected:
      return "rejected";
  }
  return "?";
}

Json ImportReportJson(const ImportReport& report) {
  Json objects = Json::array();
  for (const auto& o : report.outcomes) {
    Json j = {{"index", o.index},
              {"id", o.id},
              {"version", o.version},
              {"fate", std::string(FateName(o.fate))}};
    if (o.fate == Fate::kRejected) {
      j["path"] = o.path;
      j["reason"] = o.reason;
    }
    objects.push_back(std::move(j));
  }
  return Json{{"bundle_id", report.bundle_id}, {"stored", report.stored},
              {"total", report.total},         {"added", report.added},
              {"unchanged", report.unchanged}, {"ignored_older", report.ignored},
              {"rejected", report.rejected},   {"objects", std::move(objects)}};
}

std::optional<std::string_view> TlpOfMarking(std::string_view id) {
  static constexpr std::pair<std::string_view, std::string_view> kTlp[] = {
      // TLP 2.0 (STIX 2.1 TLP 2.0 marking definitions).
      {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "clear"},
      {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "green"},
      {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "amber"},
      {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "amber+strict"},
      {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "red"},
      // TLP 1.0 (STIX 2.1 section 7.2.1.4); WHITE became CLEAR.
      {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "clear"},
      {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"},
      {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"},
      {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"},
  };
  for (const auto& [mid, tlp] : kTlp)
    if (mid == id) return tlp;
  return std::nullopt;
}

std::string NewUuidV4() {
  std::array<unsigned char, 16> b;
  randombytes_buf(b.data(), b.size());
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  std::string hex;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex.push_back('-');
    hex += fmt::format("{:02x}", b[i]);
  }
  return hex;
}

namespace {

int TlpRank(std::string_view tlp) {
  if (tlp == "clear") return 1;
  if (tlp == "green") return 2;
  if (tlp == "amber") return 3;
  if (tlp == "amber+strict") return 4;
  if (tlp == "red") return 5;
  return 0;
}

std::string LowerTlp(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s.starts_with("tlp:")) s = s.substr(4);
  if (s == "white") s = "clear";
  return s;
}

// The TLP a marking definition object declares, if any.
std::optional<std::string> TlpDeclaredBy(const Json& md) {
  if (auto dt = md.find("definition_type"); dt != md.end() && *dt == "tlp") {
    if (auto d = md.find("definition"); d != md.end() && d->is_object()) {
      if (auto t = d->find("tlp"); t != d->end() && t->is_string()) {
        std::string tlp = LowerTlp(t->get<std::string>());
        if (TlpRank(tlp)) return tlp;
      }
    }
  }
  if (auto ext = md.find("extensions"); ext != md.end() && ext->is_object()) {
    for (const auto& [name, e] : ext->items()) {
      if (!e.is_object()) continue;
      if (auto t = e.find("tlp_2_0"); t != e.end() && t->is_string()) {
        std::string tlp = LowerTlp(t->get<std::string>());
        if (TlpRank(tlp)) return tlp;
      }
    }
  }
  return std::nullopt;
}

// What a `sighting` object adds to table intel_sightings (sighting.h).
struct SightingRow {
  std::string sighting_of_ref, first_seen, last_seen;  // VersionKey form
  std::int64_t count = 1;
};

struct Pending {
  size_t index;
  std::string id, type, version, modified, created_by_ref, marking_refs, content;
  std::optional<std::string> tlp;
  bool revoked = false;
  bool latest = true;
  std::vector<ObservableKey> keys;  // correlation postings (correlation.h)
  std::optional<SightingRow> sighting;
  std::vector<std::string> marking_ids;     // object_marking_refs, for the TLP
  std::optional<std::string> declared_tlp;  // a marking definition's own TLP
};

// One element of "objects" after the work that needs nothing but its text
// (strict parsing, validation, canonical form, correlation keys): either an
// object for the writer or why it is rejected.
struct Prepared {
  size_t index = 0;
  std::optional<Pending> pending;
  std::string id, version, path, reason;  // when rejected
};

std::string VersionText(const Json& obj) {
  if (!obj.is_object()) return "";
  for (const char* key : {"modified", "created"}) {
    auto it = obj.find(key);
    if (it != obj.end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

// Depends on nothing but its arguments: runs on any thread.
Prepared Prepare(size_t index, std::string_view text, const ImportOptions& options) {
  Prepared out;
  out.index = index;
  auto reject = [&](std::string id, std::string version, std::string_view path,
                    std::string reason) {
    out.id = std::move(id);
    out.version = std::move(version);
    out.path = fmt::format("/objects/{}{}", index, path);
    out.reason = std::move(reason);
    return std::move(out);
  };
  auto parsed = ParseObject(text, options.limits);
  if (!parsed) return reject("", "", parsed.error().field, parsed.error().message);
  Json& obj = *parsed;
  std::string id;
  if (obj.is_object()) {
    if (auto it = obj.find("id"); it != obj.end() && it->is_string()) id = it->get<std::string>();
  }
  std::optional<Pattern> pattern;
  if (auto problem = StixValidator::Default().Validate(obj, options.validation, &pattern))
    return reject(std::move(id), VersionText(obj), problem->path, std::move(problem->reason));
  auto canonical = jcs::Canonicalize(obj);
  if (!canonical)
    return reject(std::move(id), VersionText(obj), canonical.error().field,
                  canonical.error().message);
  Pending& p = out.pending.emplace();
  p.index = index;
  p.id = std::move(id);
  p.type = obj["type"].get<std::string>();
  p.modified = VersionText(obj);
  p.version = p.modified.empty() ? "" : VersionKey(p.modified);
  // The validator has checked these on every known type; custom types
  // are checked against the generic schemas only, so test kinds here.
  if (auto c = obj.find("created_by_ref"); c != obj.end() && c->is_string())
    p.created_by_ref = c->get<std::string>();
  if (auto r = obj.find("revoked"); r != obj.end()) p.revoked = r->is_boolean() && r->get<bool>();
  if (auto m = obj.find("object_marking_refs"); m != obj.end() && m->is_array()) {
    p.marking_refs = m->dump();
    for (const auto& ref : *m)
      if (ref.is_string()) p.marking_ids.push_back(ref.get<std::string>());
  }
  if (p.type == "marking-definition") p.declared_tlp = TlpDeclaredBy(obj);
  // The validator parsed an indicator's STIX pattern already.
  p.keys = pattern ? ObservableKeysOfPattern(*pattern) : ObservableKeysOf(obj);
  if (p.type == "sighting") {
    SightingRow row;
    if (auto r = obj.find("sighting_of_ref"); r != obj.end() && r->is_string())
      row.sighting_of_ref = r->get<std::string>();
    if (auto c = obj.find("count"); c != obj.end() && c->is_number_integer())
      row.count = c->get<std::int64_t>();
    if (auto f = obj.find("first_seen"); f != obj.end() && f->is_string())
      row.first_seen = VersionKey(f->get<std::string>());
    if (auto l = obj.find("last_seen"); l != obj.end() && l->is_string())
      row.last_seen = VersionKey(l->get<std::string>());
    if (!row.sighting_of_ref.empty()) p.sighting = std::move(row);
  }
  p.content = std::move(*canonical);
  return out;
}

// Reads a bundle and prepares its objects on worker threads, handing them
// to the one consumer in bundle order, in chunks. The reader runs ahead of
// the consumer by at most kMaxChunks chunks, so memory stays bounded.
class PreparePipeline {
 public:
  static constexpr size_t kChunk = 256;
  static constexpr size_t kMaxChunks = 16;

  PreparePipeline(std::string_view text, const ImportOptions& options, size_t workers)
      : text_(text), options_(options) {
    (void)StixValidator::Default();  // compiled once, before the threads share it
    threads_.emplace_back([this] { Read(); });
    for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }

  ~PreparePipeline() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  PreparePipeline(const PreparePipeline&) = delete;
  PreparePipeline& operator=(const PreparePipeline&) = delete;

  // The next chunk in bundle order; false at the end, or as soon as the
  // reading failed (then Finish() says why).
  bool Next(std::vector<Prepared>& out) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return failed_ || (!chunks_.empty() && chunks_.front()->ready) ||
             (read_done_ && chunks_.empty());
    });
    if (failed_ || chunks_.empty()) return false;
    out = std::move(chunks_.front()->output);
    chunks_.pop_front();
    cv_.notify_all();
    return true;
  }

  // After Next() returned false: the envelope, or why the bundle is unreadable.
  Result<BundleEnvelope> Finish() {
    std::lock_guard lock(mu_);
    if (worker_error_) return std::unexpected(*worker_error_);
    if (!read_result_) return Fail(ErrorCode::kInternal, "the bundle reader did not finish");
    return *read_result_;
  }

 private:
  struct Chunk {
    std::vector<std::pair<size_t, std::string_view>> input;
    std::vector<Prepared> output;
    bool taken = false;
    bool ready = false;
  };

  void Read() {
    std::vector<std::pair<size_t, std::string_view>> current;
    auto push = [&]() -> bool {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || failed_ || chunks_.size() < kMaxChunks; });
      if (stop_ || failed_) return false;
      auto chunk = std::make_unique<Chunk>();
      chunk->input = std::move(current);
      chunks_.push_back(std::move(chunk));
      ++queued_;
      current.clear();
      cv_.notify_all();
      return true;
    };
    auto env = ReadBundle(text_, options_.limits, [&](size_t index, std::string_view text) {
      current.emplace_back(index, text);
      if (current.size() >= kChunk && !push())
        return Status(Fail(ErrorCode::kUnavailable, "the import stopped"));
      return Ok();
    });
    if (env && !current.empty()) (void)push();
    {
      std::lock_guard lock(mu_);
      read_result_ = env;
      read_done_ = true;
      if (!env) failed_ = true;
    }
    cv_.notify_all();
  }

  void Work() {
    for (;;) {
      Chunk* chunk = nullptr;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || failed_ || queued_ > 0 || read_done_; });
        if (stop_ || failed_ || queued_ == 0) return;
        for (auto& c : chunks_) {
          if (!c->taken) {
            chunk = c.get();
            break;
          }
        }
        chunk->taken = true;
        --queued_;
      }
      std::vector<Prepared> output;
      std::optional<Error> error;
      try {
        output.reserve(chunk->input.size());
        for (const auto& [index, text] : chunk->input)
          output.push_back(Prepare(index, text, options_));
      } catch (const std::exception& e) {  // allocation failures
        error = Error(ErrorCode::kResourceExhausted,
                      fmt::format("cannot prepare the bundle's objects: {}", e.what()));
      }
      {
        std::lock_guard lock(mu_);
        if (error) {
          if (!worker_error_) worker_error_ = std::move(error);
          failed_ = true;
        } else {
          chunk->output = std::move(output);
          chunk->ready = true;
        }
      }
      cv_.notify_all();
    }
  }

  const std::string_view text_;
  const ImportOptions& options_;
  std::mutex mu_;
  std::condition_variable cv_;
  // Guarded by mu_:
  std::deque<std::unique_ptr<Chunk>> chunks_;  // in bundle order
  size_t queued_ = 0;                          // chunks no worker has taken
  bool read_done_ = false;
  bool failed_ = false;  // the reader or a worker failed: stop everything
  bool stop_ = false;
  std::optional<Result<BundleEnvelope>> read_result_;
  std::optional<Error> worker_error_;
  std::vector<std::thread> threads_;
};

// Postings and sighting rows of the objects of a batch, once their seq is known.
Status WriteProjections(store::Tx& tx, const std::vector<std::pair<Pending*, std::int64_t>>& rows);

struct Known {
  std::string version;
  const std::string* content = nullptr;  // stored_content or the pending object's
  bool revoked = false;
  std::int64_t seq = 0;        // stored row; 0 when pending in this batch
  Pending* pending = nullptr;  // when pending
  std::string owner_org;       // the organisation that first stored the id
  std::string stored_content;  // of the stored row
};

constexpr size_t kBatch = 500;

class Importer {
 public:
  Importer(store::Tx& tx, const ImportOptions& options, Millis now, ImportReport& report)
      : tx_(tx), options_(options), now_(now), report_(report) {}

  // One element of "objects", in bundle order. Errors returned are
  // database failures.
  Status Add(Prepared&& prepared) {
    ++report_.total;
    if (!prepared.pending) {
      Reject(prepared.index, std::move(prepared.id), std::move(prepared.version),
             std::move(prepared.path), std::move(prepared.reason));
      return Ok();
    }
    Pending& p = *prepared.pending;
    // TLP: the specification's marking definitions, or one earlier in this
    // bundle; the most restrictive wins.
    int best = 0;
    for (const auto& rid : p.marking_ids) {
      std::optional<std::string> tlp;
      if (auto known = TlpOfMarking(rid))
        tlp = std::string(*known);
      else if (auto it = bundle_tlp_.find(rid); it != bundle_tlp_.end())
        tlp = it->second;
      if (tlp && TlpRank(*tlp) > best) {
        best = TlpRank(*tlp);
        p.tlp = tlp;
      }
    }
    if (p.declared_tlp) bundle_tlp_[p.id] = *p.declared_tlp;
    if (options_.max_tlp && p.tlp && TlpRank(*p.tlp) > TlpRank(*options_.max_tlp)) {
      Reject(p.index, p.id, p.modified, fmt::format("/objects/{}/object_marking_refs", p.index),
             fmt::format("TLP:{} is above TLP:{}, the highest the community's charter allows",
                         *p.tlp, *options_.max_tlp));
      return Ok();
    }
    batch_.push_back(std::move(p));
    if (batch_.size() >= kBatch) return Flush();
    return Ok();
  }

  Status Flush() {
    if (batch_.empty()) return Ok();
    // The newest stored version of each id in the batch.
    std::unordered_map<std::string, Known> known;
    {
      std::string sql =
          "SELECT stix_id, version, content, revoked, seq, owner_org FROM intel_objects WHERE "
          "is_latest = 1 "
          "AND stix_id IN (";
      store::Params params;
      for (const auto& p : batch_) {
        if (known.contains(p.id)) continue;
        known.emplace(p.id, Known{});
        sql += params.empty() ? "?" : ",?";
        params.emplace_back(p.id);
      }
      known.clear();
      sql += ")";
      auto rows = ENTENTE_TRY(tx_.Query(sql, params));
      for (const auto& r : rows) {
        Known& k = known[r.Text(0)];  // nodes stay put: k.content may point into k
        k = Known{r.Text(1), nullptr, r.Int(3) != 0,
                  r.Int(4),  nullptr, r.IsNull(5) ? std::string() : r.Text(5),
                  r.Text(2)};
        k.content = &k.stored_content;
      }
    }
    std::vector<std::int64_t> demote;
    std::vector<Pending*> inserts;
    for (auto& p : batch_) {
      auto it = known.find(p.id);
      if (it == known.end()) {
        known[p.id] = Known{p.version, &p.content, p.revoked, 0, &p, options_.owner_org, {}};
        inserts.push_back(&p);
        Record(p, Fate::kAdded);
        continue;
      }
      Known& k = it->second;
      if (p.version == k.version) {
        if (p.content == *k.content) {
          Record(p, Fate::kUnchanged);
        } else {
          Reject(p.index, p.id, p.modified, fmt::format("/objects/{}", p.index),
                 p.version.empty()
                     ? "conflict: an object with this id and different content is already stored"
                     : "conflict: a version with this id and modified but different content is "
                       "already stored");
        }
        continue;
      }
      if (p.version < k.version) {
        Record(p, Fate::kIgnoredOlder);
        continue;
      }
      if (k.owner_org != options_.owner_org) {
        Reject(p.index, p.id, p.modified, fmt::format("/objects/{}/id", p.index),
               "this object belongs to another organisation: only the organisation that first "
               "stored its id may add versions or revoke it");
        continue;
      }
      if (k.revoked) {
        Reject(p.index, p.id, p.modified, fmt::format("/objects/{}/modified", p.index),
               "the object was revoked; later versions are refused");
        continue;
      }
      if (k.pending)
        k.pending->latest = false;
      else
        demote.push_back(k.seq);
      k = Known{p.version, &p.content, p.revoked, 0, &p, std::move(k.owner_org), {}};
      inserts.push_back(&p);
      Record(p, Fate::kAdded);
    }
    if (!demote.empty()) {
      std::string sql = "UPDATE intel_objects SET is_latest = 0 WHERE seq IN (";
      store::Params params;
      for (auto s : demote) {
        sql += params.empty() ? "?" : ",?";
        params.emplace_back(s);
      }
      sql += ")";
      ENTENTE_TRY(tx_.Exec(sql, params));
    }
    if (!inserts.empty()) {
      std::string sql =
          "INSERT INTO intel_objects (stix_id, version, type, modified, created_by_ref, revoked, "
          "is_latest, tlp, marking_refs, owner_org, community_id, added_at, content) VALUES ";
      store::Params params;
      params.reserve(inserts.size() * 13);
      auto opt = [](const std::string& s) -> store::Value {
        if (s.empty()) return store::Null{};
        return s;
      };
      bool projections = false;
      for (size_t i = 0; i < inserts.size(); ++i) {
        Pending& p = *inserts[i];
        projections |= !p.keys.empty() || p.sighting.has_value();
        sql += i ? ",(?,?,?,?,?,?,?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?,?,?,?,?,?,?)";
        params.emplace_back(p.id);
        params.emplace_back(p.version);
        params.emplace_back(std::move(p.type));
        params.emplace_back(opt(p.modified));
        params.emplace_back(opt(p.created_by_ref));
        params.emplace_back(std::int64_t{p.revoked ? 1 : 0});
        params.emplace_back(std::int64_t{p.latest ? 1 : 0});
        params.emplace_back(p.tlp ? store::Value(*p.tlp) : store::Value(store::Null{}));
        params.emplace_back(opt(p.marking_refs));
        params.emplace_back(opt(options_.owner_org));
        params.emplace_back(opt(options_.community_id));
        params.emplace_back(std::int64_t{now_});
        params.emplace_back(std::move(p.content));
      }
      if (!projections) {
        ENTENTE_TRY(tx_.Exec(sql, params));
      } else {
        // The seq of each new row, for the postings and sighting rows.
        sql += " RETURNING seq, stix_id, version";
        auto rows = ENTENTE_TRY(tx_.Query(sql, params));
        std::unordered_map<std::string, std::int64_t> seq_of;
        for (const auto& r : rows) seq_of[r.Text(1) + '\n' + r.Text(2)] = r.Int(0);
        std::vector<std::pair<Pending*, std::int64_t>> written;
        for (Pending* p : inserts) {
          auto it = seq_of.find(p->id + '\n' + p->version);
          if (it == seq_of.end())
            return Fail(ErrorCode::kInternal, "an inserted intel object returned no seq");
          written.emplace_back(p, it->second);
        }
        ENTENTE_CHECK(WriteProjections(tx_, written));
      }
    }
    batch_.clear();
    return Ok();
  }

 private:
  void Record(const Pending& p, Fate fate) {
    switch (fate) {
      case Fate::kAdded:
        ++report_.added;
        break;
      case Fate::kUnchanged:
        ++report_.unchanged;
        break;
      case Fate::kIgnoredOlder:
        ++report_.ignored;
        break;
      case Fate::kRejected:
        ++report_.rejected;
        break;
    }
    if (options_.record_stored)
      report_.outcomes.push_back(ObjectOutcome{p.index, p.id, p.modified, fate, "", ""});
  }

  void Reject(size_t index, std::string id, std::string version, std::string path,
              std::string reason) {
    ++report_.rejected;
    report_.outcomes.push_back(ObjectOutcome{index, std::move(id), std::move(version),
                                             Fate::kRejected, std::move(path), std::move(reason)});
  }

  store::Tx& tx_;
  const ImportOptions& options_;
  Millis now_;
  ImportReport& report_;
  std::vector<Pending> batch_;
  std::unordered_map<std::string, std::string> bundle_tlp_;
};

Status WriteProjections(store::Tx& tx, const std::vector<std::pair<Pending*, std::int64_t>>& rows) {
  // Postings, in statements of at most 1,000 rows (5 parameters each).
  std::string sql;
  store::Params params;
  size_t n = 0;
  auto flush = [&]() -> Status {
    if (n == 0) return Ok();
    ENTENTE_TRY(tx.Exec(sql, params));
    sql.clear();
    params.clear();
    n = 0;
    return Ok();
  };
  for (const auto& [p, seq] : rows) {
    for (const auto& k : p->keys) {
      sql += n ? ",(?,?,?,?,?)"
               : "INSERT INTO intel_observables (kind, value, obj_seq, range_lo, range_hi) "
                 "VALUES (?,?,?,?,?)";
      params.emplace_back(k.kind);
      params.emplace_back(k.value);
      params.emplace_back(seq);
      params.emplace_back(k.range_lo ? store::Value(*k.range_lo) : store::Value(store::Null{}));
      params.emplace_back(k.range_hi ? store::Value(*k.range_hi) : store::Value(store::Null{}));
      if (++n == 1000) ENTENTE_CHECK(flush());
    }
  }
  ENTENTE_CHECK(flush());
  // Sighting rows: the newest version of each sighting (a later one of the
  // same id in this batch wins).
  std::unordered_map<std::string, std::pair<const SightingRow*, std::int64_t>> sightings;
  for (const auto& [p, seq] : rows)
    if (p->sighting) sightings[p->id] = {&*p->sighting, seq};
  for (const auto& [id, row] : sightings) {
    const SightingRow& s = *row.first;
    auto opt = [](const std::string& v) -> store::Value {
      if (v.empty()) return store::Null{};
      return v;
    };
    ENTENTE_TRY(
        tx.Exec("INSERT INTO intel_sightings (stix_id, obj_seq, sighting_of_ref, sighting_count, "
                "first_seen, last_seen) VALUES (?,?,?,?,?,?) ON CONFLICT (stix_id) DO UPDATE SET "
                "obj_seq = excluded.obj_seq, sighting_of_ref = excluded.sighting_of_ref, "
                "sighting_count = excluded.sighting_count, first_seen = excluded.first_seen, "
                "last_seen = excluded.last_seen",
                {id, row.second, s.sighting_of_ref, s.count, opt(s.first_seen), opt(s.last_seen)}));
  }
  return Ok();
}

// Bundles from this size on get a larger SQLite page cache while they import.
constexpr size_t kBigBundleBytes = size_t{8} << 20;
constexpr std::int64_t kBigBundleCacheKib = 256 * 1024;

// Bundles from this size on are prepared on worker threads by default.
constexpr size_t kParallelBundleBytes = size_t{1} << 20;

// Marks the rollback of a rejected all-or-nothing import.
constexpr std::string_view kRejectedMarker = "intel import rejected";

}  // namespace

Result<ImportReport> IntelRepository::Import(std::string_view bundle_text,
                                             const ImportOptions& options) const {
  ImportReport report;
  std::optional<Error> read_error;
  // A large bundle on SQLite: a page cache big enough for the indexes being
  // written (random ids land all over the unique index; with SQLite's 2 MB
  // default most inserts read and write pages through the OS), set back to
  // the connection's value afterwards.
  const bool big_sqlite =
      db_.backend() == store::Backend::kSqlite && bundle_text.size() >= kBigBundleBytes;
  std::optional<std::int64_t> cache_before;
  size_t workers = 0;
  if (options.prepare_threads) {
    workers = *options.prepare_threads;
  } else if (bundle_text.size() >= kParallelBundleBytes) {
    workers = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  }
  auto st = db_.Transact([&](store::Tx& tx) -> Status {
    report = ImportReport{};
    if (big_sqlite && !cache_before) {
      auto rows = ENTENTE_TRY(tx.Query("PRAGMA cache_size"));
      cache_before = rows.empty() ? -2000 : rows[0].Int(0);
      ENTENTE_TRY(tx.Exec(fmt::format("PRAGMA cache_size = -{}", kBigBundleCacheKib)));
    }
    Importer importer(tx, options, clock_.NowMillis(), report);
    Result<BundleEnvelope> env;
    if (workers == 0) {
      env = ReadBundle(bundle_text, options.limits, [&](size_t index, std::string_view text) {
        return importer.Add(Prepare(index, text, options));
      });
    } else {
      PreparePipeline pipeline(bundle_text, options, workers);
      std::vector<Prepared> chunk;
      while (pipeline.Next(chunk)) {
        for (auto& prepared : chunk) ENTENTE_CHECK(importer.Add(std::move(prepared)));
      }
      env = pipeline.Finish();
    }
    if (!env) {
      read_error = env.error();
      return std::unexpected(env.error());
    }
    report.bundle_id = env->id;
    ENTENTE_CHECK(importer.Flush());
    // Outcomes in bundle order (rejections are recorded before their batch flushes).
    std::stable_sort(
        report.outcomes.begin(), report.outcomes.end(),
        [](const ObjectOutcome& a, const ObjectOutcome& b) { return a.index < b.index; });
    if (report.rejected > 0 && !options.partial)
      return Fail(ErrorCode::kInvalidArgument, std::string(kRejectedMarker));
    return Ok();
  });
  if (cache_before) {
    auto restored = db_.Transact([&](store::Tx& tx) -> Status {
      ENTENTE_TRY(tx.Exec(fmt::format("PRAGMA cache_size = {}", *cache_before)));
      return Ok();
    });
    if (!restored && st) return std::unexpected(restored.error());
  }
  if (!st) {
    if (read_error) return std::unexpected(*read_error);
    if (st.error().message == kRejectedMarker) {
      report.stored = false;
      return report;
    }
    return std::unexpected(st.error());
  }
  report.stored = true;
  return report;
}

Result<std::vector<StoredObject>> IntelRepository::List(const ObjectFilter& filter) const {
  std::string sql =
      "SELECT seq, stix_id, type, version, modified, created_by_ref, revoked, is_latest, tlp, "
      "owner_org, community_id, added_at, content FROM intel_objects WHERE seq > ?";
  store::Params params{filter.after_seq};
  auto in_list = [&](std::string_view column, const std::vector<std::string>& values) {
    if (values.empty()) return;
    sql += fmt::format(" AND {} IN (", column);
    for (size_t i = 0; i < values.size(); ++i) {
      sql += i ? ",?" : "?";
      params.emplace_back(values[i]);
    }
    sql += ")";
  };
  in_list("type", filter.types);
  in_list("stix_id", filter.ids);
  if (filter.community_id) {
    sql += " AND community_id = ?";
    params.emplace_back(*filter.community_id);
  }
  if (!filter.include_revoked) sql += " AND revoked = 0";
  if (filter.reader) sql += " AND " + ReaderSql(*filter.reader, params);
  if (!filter.tlps.empty()) {
    sql += " AND (";
    for (size_t i = 0; i < filter.tlps.size(); ++i) {
      if (i) sql += " OR ";
      if (filter.tlps[i] == "none") {
        sql += "tlp IS NULL";
      } else {
        sql += "tlp = ?";
        params.emplace_back(filter.tlps[i]);
      }
    }
    sql += ")";
  }
  for (const auto& part : filter.contains) {
    std::string pattern = "%";
    for (char c : part) {
      if (c == '%' || c == '_' || c == '!') pattern += '!';
      pattern += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    pattern += "%";
    sql += " AND LOWER(content) LIKE ? ESCAPE '!'";
    params.emplace_back(std::move(pattern));
  }
  if (!filter.all_versions) sql += " AND is_latest = 1";
  sql += " ORDER BY seq";
  if (filter.limit > 0) sql += fmt::format(" LIMIT {}", filter.limit);
  auto rows = ENTENTE_TRY(db_.Query(sql, params));
  std::vector<StoredObject> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    StoredObject o;
    o.seq = r.Int(0);
    o.id = r.Text(1);
    o.type = r.Text(2);
    o.version = r.Text(3);
    o.modified = r.Text(4);
    o.created_by_ref = r.Text(5);
    o.revoked = r.Int(6) != 0;
    o.latest = r.Int(7) != 0;
    o.tlp = r.OptText(8);
    o.owner_org = r.Text(9);
    o.community_id = r.Text(10);
    o.added_at = r.Int(11);
    o.content = r.Text(12);
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::string> IntelRepository::ExportBundle(const ObjectFilter& filter) const {
  std::string out = fmt::format(R"({{"type":"bundle","id":"bundle--{}","objects":[)", NewUuidV4());
  ObjectFilter page = filter;
  const size_t wanted = filter.limit;
  size_t count = 0;
  page.limit = 2000;
  if (wanted > 0 && wanted < page.limit) page.limit = wanted;
  for (;;) {
    auto objects = ENTENTE_TRY(List(page));
    for (const auto& o : objects) {
      if (count++) out.push_back(',');
      out += o.content;
    }
    if (objects.size() < page.limit || (wanted > 0 && count >= wanted)) break;
    page.after_seq = objects.back().seq;
    if (wanted > 0) page.limit = std::min(page.limit, wanted - count);
  }
  out += "]}";
  return out;
}

}  // namespace entente::intel
