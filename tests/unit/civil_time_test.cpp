#include <gtest/gtest.h>

#include "core/civil_time.h"

using namespace voltedge;

TEST(CivilTime, RoundTripsDates) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
    for (std::int64_t d = -1000; d < 30000; d += 37) {
        const auto c = civil_from_days(d);
        EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
    }
    EXPECT_TRUE(is_valid_date(2008, 2, 29));
    EXPECT_FALSE(is_valid_date(2007, 2, 29));
    EXPECT_FALSE(is_valid_date(2007, 13, 1));
}

TEST(CivilTime, FormatsMinutes) {
    EXPECT_EQ(format_minute(days_from_civil(2010, 11, 26) * 1440 + 21 * 60 + 2), "2010-11-26 21:02:00");
    EXPECT_EQ(format_minute(0), "1970-01-01 00:00:00");
}
