#include "transparency/log.h"

#include <algorithm>
#include <functional>
#include <future>
#include <map>
#include <thread>

#include "crypto/crypto.h"
#include "jcs/jcs.h"

namespace entente::transparency {

namespace {

// Serializes Sync and Issue across processes on PostgreSQL (journal appends
// use 7361, migrations the key "entente"). SQLite's single writer already
// serializes them.
constexpr std::int64_t kLogLockKey = 7362;
// Journal rows per Sync transaction.
constexpr std::int64_t kSyncBatch = 5000;
// Rows per multi-row INSERT, (level, idx) pairs per SELECT.
constexpr size_t kRowsPerInsert = 500;
constexpr size_t kNodesPerSelect = 128;
// Leaves per batch when verifying.
constexpr std::uint64_t kVerifyBatch = 4096;

using QueryFn = std::function<Result<store::Rows>(std::string_view, const store::Params&)>;

QueryFn InTx(store::Tx& tx) {
  return [&tx](std::string_view sql, const store::Params& p) { return tx.Query(sql, p); };
}
QueryFn InDb(store::Database& db) {
  return [&db](std::string_view sql, const store::Params& p) { return db.Query(sql, p); };
}

std::string Num(std::uint64_t n) { return std::to_string(n); }
std::int64_t I64(std::uint64_t n) { return static_cast<std::int64_t>(n); }

// A text column without copying it.
std::string_view TextView(const store::Row& r, size_t i) {
  if (const auto* s = std::get_if<std::string>(&r.at(i))) return *s;
  return {};
}

// Threads for hashing leaves: SHA-256 of ~1 KB per envelope is most of the
// cost of an append, and leaves hash independently.
size_t HashThreads() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8); }

// Leaf hashes of rows[begin, end) (column `col` holds the envelope bytes),
// on up to `workers` threads when there are many.
std::vector<Hash> HashLeaves(const store::Rows& rows, size_t col, size_t begin, size_t end,
                             size_t workers = HashThreads()) {
  std::vector<Hash> out(end - begin);
  auto work = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; ++i)
      out[i - begin] = LeafHash(crypto::AsBytes(TextView(rows[i], col)));
  };
  if (end - begin < 512 || workers < 2) {
    work(begin, end);
    return out;
  }
  size_t per = (end - begin + workers - 1) / workers;
  std::vector<std::thread> threads;
  for (size_t from = begin + per; from < end; from += per)
    threads.emplace_back(work, from, std::min(end, from + per));
  work(begin, std::min(end, begin + per));
  for (auto& t : threads) t.join();
  return out;
}

Status LockLog(store::Database& db, store::Tx& tx) {
  if (db.backend() == store::Backend::kPostgres)
    ENTENTE_TRY(tx.Query("SELECT pg_advisory_xact_lock(?)", {kLogLockKey}));
  return Ok();
}

Result<std::uint64_t> SizeOf(const QueryFn& q) {
  auto rows = ENTENTE_TRY(q("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_nodes WHERE level = 0", {}));
  return static_cast<std::uint64_t>(rows.at(0).Int(0));
}

Result<Hash> StoredHash(const store::Row& r, size_t col, NodeId id) {
  auto h = HashFromHex(TextView(r, col), "hash");
  if (!h)
    return Fail(ErrorCode::kDataLoss, "log node (level " + std::to_string(id.level) + ", index " +
                                          Num(id.index) + ") holds no valid hash");
  return *h;
}

// Stored hashes of `ids`, in order; kDataLoss when one is missing.
Result<std::vector<Hash>> ReadNodes(const QueryFn& q, std::span<const NodeId> ids) {
  std::map<NodeId, Hash> found;
  for (size_t i = 0; i < ids.size(); i += kNodesPerSelect) {
    std::string sql = "SELECT level, idx, hash FROM log_nodes WHERE ";
    store::Params p;
    for (size_t k = i; k < std::min(ids.size(), i + kNodesPerSelect); ++k) {
      if (k > i) sql += " OR ";
      sql += "(level = ? AND idx = ?)";
      p.push_back(std::int64_t{ids[k].level});
      p.push_back(I64(ids[k].index));
    }
    for (const auto& r : ENTENTE_TRY(q(sql, p))) {
      NodeId id{static_cast<int>(r.Int(0)), static_cast<std::uint64_t>(r.Int(1))};
      found[id] = ENTENTE_TRY(StoredHash(r, 2, id));
    }
  }
  std::vector<Hash> out;
  out.reserve(ids.size());
  for (const NodeId& id : ids) {
    auto it = found.find(id);
    if (it == found.end())
      return Fail(ErrorCode::kDataLoss, "log node (level " + std::to_string(id.level) + ", index " +
                                            Num(id.index) + ") is missing; run entente verify log");
    out.push_back(it->second);
  }
  return out;
}

NodeReader Reader(QueryFn q) {
  return [q = std::move(q)](std::span<const NodeId> ids) { return ReadNodes(q, ids); };
}

// Buffers new nodes and writes them with multi-row INSERTs.
class NodeWriter {
 public:
  explicit NodeWriter(store::Tx& tx) : tx_(tx) {}
  Status Add(NodeId id, const Hash& h) {
    params_.push_back(std::int64_t{id.level});
    params_.push_back(I64(id.index));
    params_.push_back(HashHex(h));
    if (params_.size() == 3 * kRowsPerInsert) return Flush();
    return Ok();
  }
  Status Flush() {
    if (params_.empty()) return Ok();
    std::string sql = "INSERT INTO log_nodes (level, idx, hash) VALUES ";
    for (size_t i = 0; i < params_.size() / 3; ++i) sql += i ? ", (?, ?, ?)" : "(?, ?, ?)";
    ENTENTE_TRY(tx_.Exec(sql, params_));
    params_.clear();
    return Ok();
  }

 private:
  store::Tx& tx_;
  store::Params params_;
};

constexpr const char* kTreeHeadColumns = "tree_size, issued, root_hash, node_id, signature";

Result<SignedTreeHead> TreeHeadFromRow(const store::Row& r) {
  SignedTreeHead s;
  s.tree_size = static_cast<std::uint64_t>(r.Int(0));
  s.timestamp = r.Int(1);
  auto root = HashFromHex(TextView(r, 2), "root_hash");
  if (!root)
    return Fail(ErrorCode::kDataLoss,
                "stored tree head of size " + Num(s.tree_size) + " holds no valid root hash");
  s.root_hash = *root;
  s.node_id = r.Text(3);
  s.signature = r.Text(4);
  return s;
}

Result<std::optional<SignedTreeHead>> LatestOf(const QueryFn& q) {
  auto rows = ENTENTE_TRY(q(std::string("SELECT ") + kTreeHeadColumns +
                                " FROM log_tree_heads ORDER BY tree_size DESC, issued DESC LIMIT 1",
                            {}));
  if (rows.empty()) return std::optional<SignedTreeHead>{};
  return std::optional<SignedTreeHead>(ENTENTE_TRY(TreeHeadFromRow(rows[0])));
}

}  // namespace

Result<std::uint64_t> Log::Size() { return SizeOf(InDb(db_)); }

Result<std::uint64_t> Log::Sync() {
  // Without taking the write lock when the journal has nothing new (the
  // public tree-head route calls this on every request).
  std::uint64_t size = ENTENTE_TRY(Size());
  auto top = ENTENTE_TRY(db_.Query("SELECT COALESCE(MAX(seq), 0) FROM journal"));
  if (top.at(0).Int(0) <= I64(size)) return size;
  for (;;) {
    bool more = false;
    std::optional<Error> gap;
    ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
      ENTENTE_CHECK(LockLog(db_, tx));
      QueryFn q = InTx(tx);
      std::uint64_t n = ENTENTE_TRY(SizeOf(q));
      auto edge = ENTENTE_TRY(ReadNodes(q, EdgeNodes(n)));
      CompactRange range = ENTENTE_TRY(CompactRange::FromEdge(n, std::move(edge)));
      auto rows = ENTENTE_TRY(
          tx.Query("SELECT seq, envelope FROM journal WHERE seq > ? ORDER BY seq LIMIT ?",
                   {I64(n), kSyncBatch}));
      // Rows up to the first gap in the sequence.
      size_t usable = 0;
      for (; usable < rows.size(); ++usable) {
        std::int64_t expected = I64(n + usable) + 1;
        if (rows[usable].Int(0) != expected) {
          gap = Error(ErrorCode::kDataLoss,
                      "the journal has a gap: seq " + std::to_string(expected) +
                          " is missing (the next row is seq " +
                          std::to_string(rows[usable].Int(0)) + "), so leaf " + Num(n + usable) +
                          " cannot be logged; run entente verify log");
          break;
        }
      }
      // A pipeline: chunk k + 1 is hashed on the other cores while chunk k
      // is appended and its nodes are written by this thread.
      constexpr size_t kChunk = 1024;
      size_t helpers = std::max<size_t>(HashThreads() - 1, 1);
      NodeWriter writer(tx);
      Status written = Ok();
      std::vector<Hash> chunk = HashLeaves(rows, 1, 0, std::min(kChunk, usable));
      for (size_t begin = 0; begin < usable; begin += kChunk) {
        size_t next = begin + kChunk;
        std::future<std::vector<Hash>> hashed;
        if (next < usable)
          hashed = std::async(std::launch::async, [&rows, next, usable, helpers] {
            return HashLeaves(rows, 1, next, std::min(next + kChunk, usable), helpers);
          });
        for (const Hash& leaf : chunk)
          range.Append(leaf, [&](NodeId id, const Hash& h) {
            if (written) written = writer.Add(id, h);
          });
        if (hashed.valid()) chunk = hashed.get();
      }
      ENTENTE_CHECK(written);
      ENTENTE_CHECK(writer.Flush());
      size = range.size();
      more = !gap && I64(rows.size()) == kSyncBatch;
      return Ok();
    }));
    if (gap) return std::unexpected(*gap);
    if (!more) return size;
  }
}

Result<std::optional<SignedTreeHead>> Log::Latest() { return LatestOf(InDb(db_)); }

Result<Issued> Log::Issue(IssuePolicy policy) {
  std::uint64_t synced = ENTENTE_TRY(Sync());
  if (policy == IssuePolicy::kIfGrown) {
    auto latest = ENTENTE_TRY(Latest());
    if (latest && latest->tree_size >= synced) return Issued{*latest, false};
  }
  // Outside the transaction: it reads the node table on its own connection.
  auto secret = ENTENTE_TRY(identity::NodeIdentity::LoadSecret(db_, master_));
  Issued out;
  ENTENTE_CHECK(db_.Transact([&](store::Tx& tx) -> Status {
    ENTENTE_CHECK(LockLog(db_, tx));
    QueryFn q = InTx(tx);
    std::uint64_t n = ENTENTE_TRY(SizeOf(q));
    // Another process may have issued one meanwhile.
    auto latest = ENTENTE_TRY(LatestOf(q));
    if (policy == IssuePolicy::kIfGrown && latest && latest->tree_size >= n) {
      out = Issued{*latest, false};
      return Ok();
    }
    Hash root = ENTENTE_TRY(Root(Reader(q), n));
    out.sth = ENTENTE_TRY(SignTreeHead(n, root, clock_.NowMillis(), node_.public_key, secret));
    out.issued = true;
    ENTENTE_TRY(tx.Exec(std::string("INSERT INTO log_tree_heads (") + kTreeHeadColumns +
                            ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (tree_size, issued) DO NOTHING",
                        {I64(out.sth.tree_size), out.sth.timestamp, HashHex(out.sth.root_hash),
                         out.sth.node_id, out.sth.signature}));
    return Ok();
  }));
  return out;
}

Result<Hash> Log::RootAt(std::uint64_t size) {
  std::uint64_t n = ENTENTE_TRY(Size());
  if (size > n)
    return Invalid("the log has " + Num(n) + " leaves, fewer than " + Num(size), "tree_size");
  return Root(Reader(InDb(db_)), size);
}

Result<InclusionAnswer> Log::InclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size) {
  std::uint64_t n = ENTENTE_TRY(Size());
  if (tree_size > n)
    return Invalid("the log has " + Num(n) + " leaves, fewer than " + Num(tree_size), "tree_size");
  if (leaf_index >= tree_size)
    return Invalid("leaf " + Num(leaf_index) + " is not in a tree of " + Num(tree_size) + " leaves",
                   "leaf_index");
  QueryFn q = InDb(db_);
  InclusionAnswer a;
  a.leaf_index = leaf_index;
  a.tree_size = tree_size;
  NodeId leaf{0, leaf_index};
  a.leaf_hash = ENTENTE_TRY(ReadNodes(q, std::span(&leaf, 1))).at(0);
  a.proof = ENTENTE_TRY(transparency::InclusionProof(Reader(q), leaf_index, tree_size));
  return a;
}

Result<std::uint64_t> Log::LeafOf(const std::string& envelope_id) {
  auto rows = ENTENTE_TRY(db_.Query("SELECT seq FROM journal WHERE id = ?", {envelope_id}));
  if (rows.empty())
    return Fail(ErrorCode::kNotFound, "no envelope " + envelope_id + " in the journal",
                "envelope_id");
  auto index = static_cast<std::uint64_t>(rows[0].Int(0) - 1);
  if (index >= ENTENTE_TRY(Size()))
    return Fail(ErrorCode::kNotFound, "envelope " + envelope_id + " is not in the log yet",
                "envelope_id");
  return index;
}

Result<std::vector<Hash>> Log::ConsistencyProof(std::uint64_t first, std::uint64_t second) {
  std::uint64_t n = ENTENTE_TRY(Size());
  if (first < 1) return Invalid("must be at least 1", "first");
  if (first > second) return Invalid("must not exceed second", "first");
  if (second > n)
    return Invalid("the log has " + Num(n) + " leaves, fewer than " + Num(second), "second");
  return transparency::ConsistencyProof(Reader(InDb(db_)), first, second);
}

Result<std::vector<LeafEntry>> Log::Leaves(std::uint64_t start, std::uint64_t end) {
  auto rows = ENTENTE_TRY(db_.Query(
      "SELECT n.idx, n.hash, j.id FROM log_nodes n LEFT JOIN journal j ON j.seq = n.idx + 1 "
      "WHERE n.level = 0 AND n.idx >= ? AND n.idx < ? ORDER BY n.idx",
      {I64(start), I64(end)}));
  std::vector<LeafEntry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    auto index = static_cast<std::uint64_t>(r.Int(0));
    out.push_back(LeafEntry{index, ENTENTE_TRY(StoredHash(r, 1, NodeId{0, index})), r.Text(2)});
  }
  return out;
}

Result<Receipt> Log::MakeReceipt(const std::string& envelope_id) {
  auto rows =
      ENTENTE_TRY(db_.Query("SELECT seq, envelope FROM journal WHERE id = ?", {envelope_id}));
  if (rows.empty())
    return Fail(ErrorCode::kNotFound, "no envelope " + envelope_id + " in the journal");
  auto index = static_cast<std::uint64_t>(rows[0].Int(0) - 1);
  const std::string canonical = rows[0].Text(1);
  SignedTreeHead sth = ENTENTE_TRY(Issue(IssuePolicy::kIfGrown)).sth;
  if (index >= sth.tree_size)
    return Fail(ErrorCode::kDataLoss, "envelope " + envelope_id + " (leaf " + Num(index) +
                                          ") is not covered by the latest tree head");
  QueryFn q = InDb(db_);
  Receipt r;
  r.leaf_index = index;
  r.leaf_hash = LeafHash(crypto::AsBytes(canonical));
  NodeId leaf{0, index};
  if (ENTENTE_TRY(ReadNodes(q, std::span(&leaf, 1))).at(0) != r.leaf_hash)
    return Fail(ErrorCode::kDataLoss, "the journal row of envelope " + envelope_id +
                                          " no longer matches leaf " + Num(index) +
                                          " of the log; run entente verify log");
  r.envelope = ENTENTE_TRY(jcs::ParseUntrusted(canonical, {.max_bytes = 64u << 20,
                                                           .max_depth = 64,
                                                           .max_string_bytes = 64u << 20,
                                                           .max_elements = 10'000'000}));
  if (!r.envelope.is_object() || r.envelope.value("id", "") != envelope_id)
    return Fail(ErrorCode::kDataLoss,
                "the journal row of envelope " + envelope_id + " holds another envelope");
  r.inclusion_proof = ENTENTE_TRY(transparency::InclusionProof(Reader(q), index, sth.tree_size));
  r.sth = sth;
  r.node_public_key = node_.public_key;
  return r;
}

// ---- verification -----------------------------------------------------------

namespace {

class Verifier {
 public:
  Verifier(store::Database& db, const identity::NodeInfo& node) : db_(db), node_(node) {}

  Result<LogReport> Run() {
    ENTENTE_CHECK(CheckLevels());
    ENTENTE_CHECK(LoadTreeHeads());
    CheckTreeHeadsAt(0);
    for (std::uint64_t a = 0; a < logged_; a += kVerifyBatch)
      ENTENTE_CHECK(Batch(a, std::min(logged_, a + kVerifyBatch)));
    for (; next_head_ < heads_.size(); ++next_head_) {
      const SignedTreeHead& s = heads_[next_head_];
      Report(logged_, "tree head of size " + Num(s.tree_size) + " covers more than the " +
                          Num(logged_) + " logged leaves: stored leaves were deleted");
    }
    ENTENTE_CHECK(CheckUnlogged());
    return report_;
  }

 private:
  // A disagreement of a journal row or stored node (tree heads excepted).
  void ReportRow(std::uint64_t index, std::string what) {
    if (!max_row_problem_ || index > *max_row_problem_) max_row_problem_ = index;
    Report(index, std::move(what));
  }

  void Report(std::uint64_t index, std::string what) {
    ++report_.problems;
    if (report_.first_bad_index < 0 || I64(index) < report_.first_bad_index) {
      report_.first_bad_index = I64(index);
      report_.problem = std::move(what);
    }
  }

  // The logged size, and stored nodes that lie beyond it.
  Status CheckLevels() {
    auto rows = ENTENTE_TRY(
        db_.Query("SELECT level, MAX(idx), MIN(idx) FROM log_nodes GROUP BY level ORDER BY level"));
    for (const auto& r : rows)
      if (r.Int(0) == 0) logged_ = static_cast<std::uint64_t>(r.Int(1) + 1);
    for (const auto& r : rows) {
      std::int64_t level = r.Int(0);
      if (level < 0 || level > 62 || r.Int(2) < 0) {
        Report(0, "the log holds a node at an impossible position (level " + std::to_string(level) +
                      ", index " + std::to_string(r.Int(2)) + ")");
        continue;
      }
      if (level == 0) continue;
      // Complete nodes of the logged tree: idx < logged >> level.
      std::uint64_t limit = logged_ >> level;
      if (static_cast<std::uint64_t>(r.Int(1)) >= limit) {
        auto first = ENTENTE_TRY(db_.Query(
            "SELECT MIN(idx) FROM log_nodes WHERE level = ? AND idx >= ?", {level, I64(limit)}));
        auto j = static_cast<std::uint64_t>(first.at(0).Int(0));
        std::uint64_t from = std::max(j << level, logged_);
        Report(from, "log node (level " + std::to_string(level) + ", index " + Num(j) +
                         ") covers leaf " + Num(from) + ", beyond the " + Num(logged_) +
                         " logged leaves: stored leaves were deleted");
      }
    }
    return Ok();
  }

  Status LoadTreeHeads() {
    auto rows = ENTENTE_TRY(db_.Query(std::string("SELECT ") + kTreeHeadColumns +
                                      " FROM log_tree_heads ORDER BY tree_size, issued"));
    for (const auto& r : rows) {
      auto s = TreeHeadFromRow(r);
      if (!s) {
        auto size = static_cast<std::uint64_t>(std::max<std::int64_t>(r.Int(0), 0));
        Report(size ? size - 1 : 0, s.error().message);
        ++report_.tree_heads;
        continue;
      }
      heads_.push_back(*s);
    }
    return Ok();
  }

  // Checks the tree heads of exactly `size` leaves against the recomputed root.
  void CheckTreeHeadsAt(std::uint64_t size) {
    for (; next_head_ < heads_.size() && heads_[next_head_].tree_size == size; ++next_head_) {
      const SignedTreeHead& s = heads_[next_head_];
      ++report_.tree_heads;
      std::string name = "tree head of size " + Num(size) + " issued " + FormatRfc3339(s.timestamp);
      if (auto st = VerifyTreeHead(s, node_.public_key); !st) {
        Report(size ? size - 1 : 0,
               name + " was altered after signing (" + st.error().message + ")");
      } else if (s.root_hash != range_.Root()) {
        // Explained by a row problem reported since the last good head; else
        // the journal and the log were rewritten consistently, and the first
        // leaf that may differ is the first one no good head covers.
        if (max_row_problem_ && *max_row_problem_ >= good_size_)
          ++report_.problems;
        else
          Report(good_size_, name + " no longer matches the leaves from " + Num(good_size_) +
                                 ": journal rows were changed and the log rewritten to match");
      } else {
        good_size_ = size;
      }
    }
  }

  // Leaves [a, b): the journal rows, the stored leaf hashes and every stored
  // node completed by them.
  Status Batch(std::uint64_t a, std::uint64_t b) {
    auto journal = ENTENTE_TRY(
        db_.Query("SELECT seq, envelope FROM journal WHERE seq > ? AND seq <= ? ORDER BY seq",
                  {I64(a), I64(b)}));
    std::string sql = "SELECT level, idx, hash FROM log_nodes WHERE ";
    store::Params p;
    for (int l = 0; l < 63 && (b >> l) > (a >> l); ++l) {
      sql +=
          l ? " OR (level = ? AND idx >= ? AND idx < ?)" : "(level = ? AND idx >= ? AND idx < ?)";
      p.push_back(std::int64_t{l});
      p.push_back(I64(a >> l));
      p.push_back(I64(b >> l));
    }
    auto rows = ENTENTE_TRY(db_.Query(sql, p));
    std::vector<Hash> journal_leaves = HashLeaves(journal, 1, 0, journal.size());
    std::map<NodeId, const store::Row*> stored;
    for (const auto& r : rows)
      stored.emplace(NodeId{static_cast<int>(r.Int(0)), static_cast<std::uint64_t>(r.Int(1))}, &r);
    size_t j = 0;
    for (std::uint64_t i = a; i < b; ++i) {
      std::optional<Hash> from_journal;
      std::string journal_problem;
      while (j < journal.size() && journal[j].Int(0) < I64(i + 1)) ++j;
      if (j < journal.size() && journal[j].Int(0) == I64(i + 1)) {
        from_journal = journal_leaves[j];
      } else {
        journal_problem = "journal row seq " + Num(i + 1) + " (leaf " + Num(i) +
                          ") is missing: it was deleted or renumbered";
      }
      // The stored leaf; the tree is recomputed from the journal, or from the
      // stored leaf where the journal row is gone.
      std::optional<Hash> leaf_stored = Stored(stored, NodeId{0, i});
      Hash leaf = from_journal ? *from_journal : leaf_stored.value_or(Hash{});
      ++report_.leaves;
      bool leaf_bad = true;
      if (!journal_problem.empty()) {
        ReportRow(i, journal_problem);
      } else if (!leaf_stored) {
        ReportRow(i, "stored leaf hash " + Num(i) + " is missing or invalid");
      } else if (*leaf_stored != *from_journal) {
        ReportRow(i, "leaf " + Num(i) + ": the journal row (seq " + Num(i + 1) +
                         ") and the stored leaf hash differ: a journal or log row was edited, "
                         "deleted or reordered");
      } else {
        leaf_bad = false;
      }
      range_.Append(leaf, [&](NodeId id, const Hash& h) {
        // Whether the subtree below holds a bad node already reported: then
        // this node's disagreement is a consequence, not a new problem.
        bool below = id.level == 0 ? false : Taint(id.level - 1, 0) || Taint(id.level - 1, 1);
        bool self = id.level == 0 ? leaf_bad : false;
        if (id.level > 0) {
          ++report_.nodes;
          std::optional<Hash> s = Stored(stored, id);
          if (!s || *s != h) {
            self = true;
            if (!below)
              ReportRow(id.first_leaf(),
                        "stored log node (level " + std::to_string(id.level) + ", index " +
                            Num(id.index) + ") over leaves " + Num(id.first_leaf()) + " to " +
                            Num(id.first_leaf() + (std::uint64_t{1} << id.level) - 1) +
                            (s ? " was changed" : " is missing"));
          }
        }
        taint_[id.level][id.index & 1] = self || below;
      });
      CheckTreeHeadsAt(i + 1);
    }
    return Ok();
  }

  bool Taint(int level, int side) const { return taint_[level][side]; }

  static std::optional<Hash> Stored(const std::map<NodeId, const store::Row*>& stored, NodeId id) {
    auto it = stored.find(id);
    if (it == stored.end()) return std::nullopt;
    auto h = HashFromHex(TextView(*it->second, 2), "hash");
    if (!h) return std::nullopt;
    return *h;
  }

  // Journal rows after the logged leaves must still be gapless.
  Status CheckUnlogged() {
    std::uint64_t expected = logged_ + 1;
    for (;;) {
      auto rows = ENTENTE_TRY(db_.Query(
          "SELECT seq FROM journal WHERE seq >= ? ORDER BY seq LIMIT 10000", {I64(expected)}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        auto seq = static_cast<std::uint64_t>(r.Int(0));
        if (seq != expected) {
          Report(expected - 1, "journal row seq " + Num(expected) + " (leaf " + Num(expected - 1) +
                                   ", not logged yet) is missing");
          return Ok();
        }
        ++expected;
        ++report_.unlogged;
      }
      if (rows.size() < 10000) break;
    }
    return Ok();
  }

  store::Database& db_;
  const identity::NodeInfo& node_;
  LogReport report_;
  std::uint64_t logged_ = 0;
  CompactRange range_;
  std::vector<SignedTreeHead> heads_;
  size_t next_head_ = 0;
  std::uint64_t good_size_ = 0;
  std::optional<std::uint64_t> max_row_problem_;
  // Per level, for the last left (0) and right (1) node completed: whether
  // its subtree holds a bad node.
  bool taint_[64][2] = {};
};

}  // namespace

Result<LogReport> VerifyLog(store::Database& db, const identity::NodeInfo& node) {
  return Verifier(db, node).Run();
}

}  // namespace entente::transparency
