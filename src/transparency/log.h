// The verifiable record: an append-only Merkle log (RFC 9162) over the
// node's journal. Leaf i is the journal row with seq i + 1 (sequence numbers
// are gapless from 1; a gap is reported, never skipped); its hash is
// SHA-256(0x00 || the envelope's canonical bytes as stored). The log knows no
// domain module: it reads the `journal` table only.
//
// Storage: `log_nodes(level, idx, hash)` holds the hash of every perfect
// subtree (2^level leaves from idx * 2^level; level 0 = leaf hashes), each
// written once. The right edge of a tree of any size is computed on the fly
// from at most one stored node per bit of the size, so roots and proofs read
// O(log n) rows. Signed tree heads are stored in `log_tree_heads`.
//
// The log follows the journal lazily: Sync() appends what the journal gained
// since the last logged leaf. Tree heads are signed by the node key (loaded
// with the master key when one is issued) on demand or by TreeHeadIssuer.
//
// Thread-safe; several processes may share one PostgreSQL database: Sync and
// Issue take a transaction-scoped advisory lock, so no leaf is appended twice
// and no two heads are issued for the same growth. VerifyLog() is read-only
// and needs no master key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "identity/identity.h"
#include "store/store.h"
#include "transparency/merkle.h"
#include "transparency/receipt.h"

namespace entente::transparency {

// When Issue() signs a new tree head.
enum class IssuePolicy {
  kIfGrown,  // only when the log has leaves the latest head does not cover
  kAlways,   // always (a fresh timestamp even for an unchanged tree)
};

struct Issued {
  SignedTreeHead sth;
  bool issued = false;  // false: `sth` is the latest head, already stored
};

struct InclusionAnswer {
  std::uint64_t leaf_index = 0;
  std::uint64_t tree_size = 0;
  Hash leaf_hash{};
  std::vector<Hash> proof;
};

struct LeafEntry {
  std::uint64_t leaf_index = 0;
  Hash leaf_hash{};
  std::string envelope_id;
};

// Outcome of VerifyLog. `first_bad_index` is the smallest leaf index at
// which the journal, the stored nodes or a tree head disagree with the tree
// recomputed from the journal (-1: none); `problem` says what.
struct LogReport {
  std::int64_t first_bad_index = -1;
  std::string problem;
  std::uint64_t problems = 0;    // every disagreement found
  std::uint64_t leaves = 0;      // logged leaves checked
  std::uint64_t nodes = 0;       // stored interior nodes checked
  std::uint64_t tree_heads = 0;  // stored tree heads checked
  std::uint64_t unlogged = 0;    // journal rows not logged yet
  bool ok() const { return first_bad_index < 0; }
};

class Log {
 public:
  // `master`, `clock` and `db` must outlive the Log.
  Log(store::Database& db, const identity::MasterKey& master, identity::NodeInfo node,
      const Clock& clock)
      : db_(db), master_(master), node_(std::move(node)), clock_(clock) {}

  // Appends leaves for the journal rows after the last logged one, in
  // transactions of a few thousand leaves. Returns the log's size.
  // kDataLoss when the journal's sequence has a gap (the leaves before it
  // are appended).
  Result<std::uint64_t> Sync();
  // Leaves logged (without syncing).
  Result<std::uint64_t> Size();

  // Syncs, then signs and stores a tree head per `policy`.
  Result<Issued> Issue(IssuePolicy policy);
  Result<std::optional<SignedTreeHead>> Latest();

  // Root hash of the tree of the first `size` logged leaves.
  Result<Hash> RootAt(std::uint64_t size);
  // kInvalidArgument unless leaf_index < tree_size <= Size().
  Result<InclusionAnswer> InclusionProof(std::uint64_t leaf_index, std::uint64_t tree_size);
  // Leaf index of a journal envelope; kNotFound when it is not logged yet.
  Result<std::uint64_t> LeafOf(const std::string& envelope_id);
  // kInvalidArgument unless 1 <= first <= second <= Size().
  Result<std::vector<Hash>> ConsistencyProof(std::uint64_t first, std::uint64_t second);
  // Logged leaves [start, end), end clamped to Size().
  Result<std::vector<LeafEntry>> Leaves(std::uint64_t start, std::uint64_t end);

  // A receipt against the latest tree head (issuing one when the envelope is
  // newer). Checks the stored leaf against the journal row (kDataLoss).
  Result<Receipt> MakeReceipt(const std::string& envelope_id);

  const identity::NodeInfo& node() const { return node_; }

 private:
  store::Database& db_;
  const identity::MasterKey& master_;
  identity::NodeInfo node_;
  const Clock& clock_;
};

// Recomputes the whole tree from the journal and checks every stored node
// and every stored tree head (root and signature). Read-only; memory
// O(log n) plus one batch of rows.
Result<LogReport> VerifyLog(store::Database& db, const identity::NodeInfo& node);

}  // namespace entente::transparency
