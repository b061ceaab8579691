// Issues signed tree heads at an interval, in a background thread: every
// `interval` by the Clock, it syncs the log and signs a head when the tree
// grew (Log::Issue(kIfGrown)). The first run is due at once, so a node that
// restarts covers what was appended while it was down.
//
// The thread polls the clock at least once a second of real time; RunOnce()
// is the whole of one run, so tests drive it with a ManualClock without
// sleeping: RunOnce() directly, or RunNow() with the thread.
// Several processes may each run one: the log's lock makes them issue one
// head per growth.
//
// Thread-safe. The Log and the Clock must outlive the issuer; the destructor
// stops the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "transparency/log.h"

namespace entente::transparency {

class TreeHeadIssuer {
 public:
  // Called from the thread when a run fails (e.g. to log it); may be empty.
  using ErrorSink = std::function<void(const Error&)>;

  TreeHeadIssuer(Log& log, const Clock& clock, Millis interval, ErrorSink on_error = {});
  ~TreeHeadIssuer();
  TreeHeadIssuer(const TreeHeadIssuer&) = delete;
  TreeHeadIssuer& operator=(const TreeHeadIssuer&) = delete;

  // One run: when due by the clock, syncs and issues a head if the tree
  // grew, and schedules the next run an interval later. True when a new head
  // was signed.
  Result<bool> RunOnce();

  // Starts / stops the background thread (idempotent; once stopped, an
  // issuer does not start again).
  void Start();
  void Stop();
  // Wakes the thread for a run that starts after this call (it still issues
  // only when due) and waits until that run has finished. Returns at once
  // when the thread is not running.
  void RunNow();
  // Runs completed by the thread since Start().
  std::uint64_t runs() const;

 private:
  void Loop();

  Log& log_;
  const Clock& clock_;
  const Millis interval_;
  ErrorSink on_error_;
  std::mutex run_mu_;  // one RunOnce at a time
  Millis next_due_;    // guarded by run_mu_

  mutable std::mutex mu_;  // guards what follows
  std::condition_variable wake_;
  std::condition_variable ran_;
  bool stop_ = false;
  bool kicked_ = false;
  std::uint64_t started_ = 0;  // runs begun by the thread
  std::uint64_t runs_ = 0;     // runs finished by the thread
  std::thread thread_;
};

}  // namespace entente::transparency
