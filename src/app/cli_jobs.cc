// `entente admin jobs` and `entente admin purge-jobs`: the background work
// (deliveries, reminders, escalations) as an operator sees it.
//
//   entente admin jobs [--state pending|leased|done|failed] [--limit N]
//   entente admin purge-jobs --older-than-days D
//
// Done jobs are kept (they show what was delivered when) until purged; failed
// jobs are never purged by this command: an operator reads their last error
// first.
#include <fmt/format.h>

#include <iostream>

#include "api/node.h"
#include "app/cli_group.h"
#include "core/clock.h"
#include "jobs/jobs.h"

namespace entente::cli {
namespace {

using Json = nlohmann::json;

Json JobJson(const jobs::Job& j) {
  Json o = {{"id", j.id},
            {"kind", j.kind},
            {"state", std::string(jobs::JobStateName(j.state))},
            {"attempts", j.attempts},
            {"max_attempts", j.max_attempts},
            {"run_at", FormatRfc3339(j.run_at)},
            {"created", FormatRfc3339(j.created)}};
  if (j.finished) o["finished"] = FormatRfc3339(*j.finished);
  if (j.last_error) o["last_error"] = *j.last_error;
  if (!j.lease_owner.empty()) o["lease_owner"] = j.lease_owner;
  return o;
}

class JobCommands final : public CommandGroup {
 public:
  void Register(CLI::App& app) override {
    CLI::App* admin = app.get_subcommand("admin");
    list_ = admin->add_subcommand("jobs", "background jobs (newest first), with counts per state");
    list_->add_option("--state", state_, "only jobs in this state")
        ->check(CLI::IsMember({"pending", "leased", "done", "failed"}));
    list_->add_option("--limit", limit_, "at most this many")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    purge_ =
        admin->add_subcommand("purge-jobs", "delete done jobs finished before a number of days");
    purge_->add_option("--older-than-days", days_, "days since the job finished")
        ->required()
        ->check(CLI::Range(0, 36500));
  }

  std::optional<int> Run(const Context& c) override {
    if (!list_->parsed() && !purge_->parsed()) return std::nullopt;
    auto node = OrDie(api::Node::Open(c.Options()));
    jobs::JobQueue& queue = node->jobs();
    if (list_->parsed()) {
      std::optional<jobs::JobState> state;
      if (!state_.empty()) state = jobs::ParseJobState(state_);
      auto items = OrDie(queue.List(state, limit_));
      auto counts = OrDie(queue.Counts());
      if (c.json) {
        Json out = {{"counts",
                     {{"pending", counts.pending},
                      {"leased", counts.leased},
                      {"done", counts.done},
                      {"failed", counts.failed}}},
                    {"jobs", Json::array()}};
        for (const auto& j : items) out["jobs"].push_back(JobJson(j));
        std::cout << out.dump(2) << "\n";
        return 0;
      }
      std::cout << fmt::format("pending {}  leased {}  done {}  failed {}\n", counts.pending,
                               counts.leased, counts.done, counts.failed);
      for (const auto& j : items) {
        std::cout << fmt::format("{}  {:<16} {:<8} {}/{}  run at {}{}\n", j.id, j.kind,
                                 jobs::JobStateName(j.state), j.attempts, j.max_attempts,
                                 FormatRfc3339(j.run_at),
                                 j.last_error ? "  error: " + *j.last_error : "");
      }
      return 0;
    }
    const Millis before = SystemClock::Instance().NowMillis() - Millis{days_} * 86'400'000;
    std::int64_t total = 0;
    // In bounded batches, so that the writer is never held for long.
    while (true) {
      const std::int64_t n = OrDie(queue.PurgeDone(before, 1000));
      total += n;
      if (n < 1000) break;
    }
    if (c.json) {
      std::cout << Json{{"purged", total}}.dump(2) << "\n";
    } else {
      std::cout << fmt::format("purged {} done job(s) finished before {}\n", total,
                               FormatRfc3339(before));
    }
    return 0;
  }

 private:
  CLI::App* list_ = nullptr;
  CLI::App* purge_ = nullptr;
  std::string state_;
  int limit_ = 50;
  int days_ = 0;
};

}  // namespace

ENTENTE_CLI_GROUP(JobCommands);

}  // namespace entente::cli
