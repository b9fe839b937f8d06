#include <gtest/gtest.h>

#include "ingestion/series.h"

using namespace voltedge::ingestion;

namespace {
ParsedRows rows_at(std::initializer_list<voltedge::Minute> minutes) {
    ParsedRows r;
    Milli row = 0;
    for (auto m : minutes) {
        r.minute.push_back(m);
        ++row;
        for (auto& v : r.value) v.push_back(1000 * row);  // row k holds k.000 in every field
    }
    return r;
}
}  // namespace

TEST(BuildSeries, ContiguousRowsPassThrough) {
    TimestampStats st;
    const auto s = build_series(rows_at({100, 101, 102}), st, "t");
    EXPECT_EQ(s.start, 100);
    EXPECT_EQ(s.size(), 3u);
    EXPECT_EQ(st.duplicates + st.absent_minutes + st.out_of_order, 0u);
}

TEST(BuildSeries, CountsDuplicatesGapsAndDisorder) {
    TimestampStats st;
    // 100, 103 (gap of 101-102), 102 (out of order, fills one), 103 again (duplicate)
    const auto s = build_series(rows_at({100, 103, 102, 103}), st, "t");
    EXPECT_EQ(s.size(), 4u);
    EXPECT_EQ(st.rows, 4u);
    EXPECT_EQ(st.duplicates, 1u);
    EXPECT_EQ(st.out_of_order, 1u);
    EXPECT_EQ(st.absent_minutes, 1u);  // minute 101
    EXPECT_EQ(s.value[kVoltage][1], kMissing);
    EXPECT_TRUE(s.flags[1] & MinuteSeries::kTimestampAbsent);
    EXPECT_EQ(s.value[kVoltage][3], 2000);  // the first row for minute 103 is kept
}
