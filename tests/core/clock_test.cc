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

TEST(ParseRfc3339, ReadsWhatFormatWritesAndOffsets) {
  for (Millis ms :
       {Millis{0}, Millis{1'700'000'000'123}, Millis{951'782'400'000}, Millis{253'402'300'799'999}})
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(ms)), ms) << FormatRfc3339(ms);
  EXPECT_EQ(ParseRfc3339("2026-12-01T10:00:00+02:00"), ParseRfc3339("2026-12-01T08:00:00Z"));
  EXPECT_EQ(ParseRfc3339("2026-12-01t08:00:00.5z"), *ParseRfc3339("2026-12-01T08:00:00Z") + 500);
  EXPECT_EQ(ParseRfc3339("2024-02-29T00:00:00Z").has_value(), true);
}

TEST(ParseRfc3339, RefusesMalformedDates) {
  for (const char* bad :
       {"", "2026-12-01", "2026-12-01T10:00:00", "2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2026-12-01T24:00:00Z", "2026-12-01T10:00:00.Z", "2026-12-01T10:00:00+2:00",
        "1969-12-31T23:59:59Z", "2026-12-01T10:00:00Zjunk", "2026-12-01 10:00:00Z",
        "2026-12-01T10:00:00.1234567890Z"})
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
}

}  // namespace
}  // namespace entente
