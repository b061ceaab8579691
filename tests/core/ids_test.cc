#include "core/ids.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <set>

namespace entente {
namespace {

TEST(Ids, UuidV7IsCanonicalVersion7AndVariant10) {
  ASSERT_GE(sodium_init(), 0);
  ManualClock clock(1'700'000'000'123);
  std::string id = NewUuidV7(clock);
  EXPECT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b') << id;
  // 48-bit timestamp prefix: 1700000000123 = 0x018bcfe5687b
  EXPECT_EQ(id.substr(0, 13), "018bcfe5-687b");
}

TEST(Ids, StrictlyIncreasingWithinOneMillisecondAndWhenClockGoesBack) {
  ManualClock clock(1'800'000'000'000);
  std::string prev = NewUuidV7(clock);
  std::set<std::string> seen{prev};
  for (int i = 0; i < 5000; ++i) {
    if (i == 2500) clock.Set(1'799'999'999'000);  // clock steps back
    std::string next = NewUuidV7(clock);
    EXPECT_LT(prev, next);
    EXPECT_TRUE(seen.insert(next).second);
    prev = next;
  }
}

TEST(Ids, IsUuidRejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("018bcfe5-687b-7000-8000-00000000000"));
  EXPECT_FALSE(IsUuid("018BCFE5-687b-7000-8000-000000000000"));
  EXPECT_FALSE(IsUuid("018bcfe5x687b-7000-8000-000000000000"));
  EXPECT_FALSE(IsUuid("018bcfe5-687b-7000-8000-00000000000'"));
  EXPECT_TRUE(IsUuid("018bcfe5-687b-7000-8000-000000000000"));
}

}  // namespace
}  // namespace entente
