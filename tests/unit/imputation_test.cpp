#include <gtest/gtest.h>

#include "ingestion/imputation.h"

using namespace voltedge::ingestion;

namespace {
MinuteSeries series(const std::vector<Milli>& gap) {
    MinuteSeries s;
    for (auto& v : s.value) v = gap;
    s.flags.assign(gap.size(), 0);
    return s;
}
}  // namespace

TEST(Impute, ShortGapIsLinear) {
    auto s = series({1000, kMissing, kMissing, 4000, 5000});
    const auto st = impute(s);
    EXPECT_EQ(s.value[kGlobalActivePower], (std::vector<Milli>{1000, 2000, 3000, 4000, 5000}));
    EXPECT_EQ(st.minutes_imputed, 2u);
    EXPECT_EQ(st.values_linear, 2u * kFieldCount);
    EXPECT_EQ(s.flags, (std::vector<std::uint8_t>{0, 1, 1, 0, 0}));
}

TEST(Impute, LinearRoundsToTheFileResolution) {
    auto s = series({0, kMissing, kMissing, 1});
    impute(s);
    EXPECT_EQ(s.value[kVoltage], (std::vector<Milli>{0, 0, 1, 1}));  // 1/3 -> 0, 2/3 -> 1
}

TEST(Impute, EdgesTakeTheNearestReading) {
    auto s = series({kMissing, kMissing, 7000, 8000, kMissing});
    const auto st = impute(s);
    EXPECT_EQ(s.value[kGlobalIntensity], (std::vector<Milli>{7000, 7000, 7000, 8000, 8000}));
    EXPECT_EQ(st.values_edge, 3u * kFieldCount);
}

TEST(Impute, LongGapCopiesTheDayBefore) {
    std::vector<Milli> v(3 * 1440);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<Milli>(i % 1440);  // a daily profile
    for (std::size_t i = 1440 + 100; i < 1440 + 300; ++i) v[i] = kMissing;           // 200 minutes on day 2
    auto s = series(v);
    const auto st = impute(s);
    EXPECT_EQ(s.value[kGlobalActivePower][1440 + 150], 150);
    EXPECT_EQ(s.value[kGlobalActivePower][1440 + 299], 299);
    EXPECT_EQ(st.values_day_ago, 200u * kFieldCount);
    EXPECT_EQ(st.minutes_imputed, 200u);
}

TEST(Impute, LongGapOnTheFirstDayCopiesTheDayAfter) {
    std::vector<Milli> v(2 * 1440, 5);
    v[1440 + 10] = 99;
    for (std::size_t i = 5; i < 100; ++i) v[i] = kMissing;
    auto s = series(v);
    impute(s);
    EXPECT_EQ(s.value[kGlobalActivePower][10], 99);
}

TEST(Impute, AFieldWithNoReadingIsAnError) {
    auto s = series({kMissing, kMissing});
    EXPECT_ANY_THROW(impute(s));
}
