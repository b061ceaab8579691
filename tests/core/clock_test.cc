#include "core/clock.h"

#include <gtest/gtest.h>

namespace entente {
namespace {

TEST(Clock, FormatsRfc3339WithMillis) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Clock, ManualClockAdvances) {
  ManualClock c(10);
  c.Advance(5);
  EXPECT_EQ(c.NowMillis(), 15);
}

}  // namespace
}  // namespace entente
