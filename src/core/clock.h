// Time behind an interface so tests can drive it.
//
// All times in Entente are UTC milliseconds since the Unix epoch (int64).
// SystemClock is thread-safe; ManualClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace entente {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis NowMillis() const override;
  static SystemClock& Instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start = 1'700'000'000'000) : now_(start) {}
  Millis NowMillis() const override { return now_.load(); }
  void Advance(Millis ms) { now_ += ms; }
  void Set(Millis ms) { now_ = ms; }

 private:
  std::atomic<Millis> now_;
};

// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T10:00:00.000Z".
std::string FormatRfc3339(Millis ms);
// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" (RFC 3339, 't' and
// 'z' accepted, years 1970-9999, fraction to milliseconds); nullopt when
// malformed or out of range.
std::optional<Millis> ParseRfc3339(std::string_view s);

}  // namespace entente
