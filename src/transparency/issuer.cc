#include "transparency/issuer.h"

#include <algorithm>
#include <chrono>

namespace entente::transparency {

TreeHeadIssuer::TreeHeadIssuer(Log& log, const Clock& clock, Millis interval, ErrorSink on_error)
    : log_(log),
      clock_(clock),
      interval_(std::max<Millis>(interval, 1)),
      on_error_(std::move(on_error)),
      next_due_(clock.NowMillis()) {}

TreeHeadIssuer::~TreeHeadIssuer() { Stop(); }

Result<bool> TreeHeadIssuer::RunOnce() {
  std::lock_guard run(run_mu_);
  Millis now = clock_.NowMillis();
  if (now < next_due_) return false;
  next_due_ = now + interval_;
  auto issued = ENTENTE_TRY(log_.Issue(IssuePolicy::kIfGrown));
  return issued.issued;
}

void TreeHeadIssuer::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  stop_ = false;
  started_ = 0;
  runs_ = 0;
  thread_ = std::thread([this] { Loop(); });
}

void TreeHeadIssuer::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  ran_.notify_all();
  if (thread.joinable()) thread.join();
}

void TreeHeadIssuer::RunNow() {
  std::unique_lock lock(mu_);
  if (!thread_.joinable() || stop_) return;
  // Runs are sequential: the next one to start begins after this point.
  std::uint64_t target = started_ + 1;
  kicked_ = true;
  wake_.notify_all();
  ran_.wait(lock, [&] { return runs_ >= target || stop_; });
}

std::uint64_t TreeHeadIssuer::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

void TreeHeadIssuer::Loop() {
  // Real-time polling period; whether a run is due is the Clock's decision.
  const auto poll = std::chrono::milliseconds(std::min<Millis>(interval_, 1000));
  std::unique_lock lock(mu_);
  while (!stop_) {
    ++started_;
    lock.unlock();
    auto r = RunOnce();
    if (!r && on_error_) on_error_(r.error());
    lock.lock();
    ++runs_;
    ran_.notify_all();
    wake_.wait_for(lock, poll, [&] { return stop_ || kicked_; });
    kicked_ = false;
  }
}

}  // namespace entente::transparency
