// Test helper for tests/jobs/jobs_test.cc: one worker process leasing jobs of
// kind "test.work" from a shared database until nothing is due.
//
//   jobs_worker URL OWNER [GO_FILE [BATCH]]
//
// Opens URL (no migrations: the test has applied them), prints "ready" and
// waits until GO_FILE exists (so that two workers start leasing together),
// then loops
// Lease(OWNER, {"test.work"}, BATCH, 5 min), printing "ran <job id>" for
// every job leased (its "handler"), then Complete. Exits 0
// when a Lease comes back empty, 1 on any error (on stderr), 2 on bad usage.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "core/clock.h"
#include "jobs/jobs.h"
#include "store/store.h"

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    std::fprintf(stderr, "usage: jobs_worker URL OWNER [GO_FILE [BATCH]]\n");
    return 2;
  }
  const std::string url = argv[1];
  const std::string owner = argv[2];
  const std::string go_file = argc > 3 ? argv[3] : "";
  const int batch = argc > 4 ? std::atoi(argv[4]) : 10;

  auto db = entente::store::Open(url);
  if (!db) {
    std::fprintf(stderr, "%s: cannot open the database: %s\n", owner.c_str(),
                 db.error().ToString().c_str());
    return 1;
  }
  entente::jobs::JobQueue queue(**db, entente::SystemClock::Instance());

  if (!go_file.empty()) {
    std::printf("ready\n");  // the test waits for every worker's "ready" before the go file
    std::fflush(stdout);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (access(go_file.c_str(), F_OK) != 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "%s: %s never appeared\n", owner.c_str(), go_file.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  for (;;) {
    auto leased = queue.Lease(owner, {"test.work"}, batch, 5 * 60 * 1000);
    if (!leased) {
      std::fprintf(stderr, "%s: lease failed: %s\n", owner.c_str(),
                   leased.error().ToString().c_str());
      return 1;
    }
    if (leased->empty()) break;
    for (const entente::jobs::Job& job : *leased) {
      // The "handler": reports the job and works briefly outside any
      // transaction, as real handlers do (which lets the other worker in).
      std::printf("ran %s\n", job.id.c_str());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      auto done = queue.Complete(job);
      if (!done) {
        std::fprintf(stderr, "%s: complete %s failed: %s\n", owner.c_str(), job.id.c_str(),
                     done.error().ToString().c_str());
        return 1;
      }
    }
  }
  std::fflush(stdout);
  return 0;
}
