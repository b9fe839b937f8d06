#include <gtest/gtest.h>

#include "features/calendar.h"
#include "features/feature_rows.h"

using namespace voltedge;
using namespace voltedge::features;

namespace {

Minute at(int y, unsigned m, unsigned d, int h) { return days_from_civil(y, m, d) * 1440 + h * 60; }

std::vector<HourLoad> hours_from(Minute first, const std::vector<double>& loads) {
    std::vector<HourLoad> out;
    for (std::size_t i = 0; i < loads.size(); ++i)
        if (!std::isnan(loads[i])) out.push_back({first + Minute(i) * 60, loads[i]});
    return out;
}

constexpr int kLag1 = 0, kLag2 = 1, kLag3 = 2, kLag24 = 3, kMean3 = 6, kStd3 = 7, kMean6 = 8;

}  // namespace

TEST(Holidays, EasterDates) {
    const CivilDate e2007 = easter_sunday(2007), e2008 = easter_sunday(2008), e2024 = easter_sunday(2024);
    EXPECT_EQ(e2007.month, 4u);
    EXPECT_EQ(e2007.day, 8u);
    EXPECT_EQ(e2008.month, 3u);
    EXPECT_EQ(e2008.day, 23u);
    EXPECT_EQ(e2024.month, 3u);
    EXPECT_EQ(e2024.day, 31u);
}

TEST(Holidays, FrenchHolidaysOf2007) {
    EXPECT_TRUE(is_french_holiday({2007, 4, 9}));   // Easter Monday
    EXPECT_TRUE(is_french_holiday({2007, 5, 17}));  // Ascension
    EXPECT_TRUE(is_french_holiday({2007, 5, 28}));  // Whit Monday
    for (CivilDate d : {CivilDate{2007, 1, 1},
                        {2007, 5, 1},
                        {2007, 5, 8},
                        {2007, 7, 14},
                        {2007, 8, 15},
                        {2007, 11, 1},
                        {2007, 11, 11},
                        {2007, 12, 25}})
        EXPECT_TRUE(is_french_holiday(d)) << d.month << "/" << d.day;
    EXPECT_FALSE(is_french_holiday({2007, 4, 8}));  // Easter Sunday itself is a Sunday, not a public holiday
    EXPECT_FALSE(is_french_holiday({2007, 4, 10}));
    EXPECT_FALSE(is_french_holiday({2007, 12, 26}));
    EXPECT_TRUE(is_french_holiday({2010, 4, 5}));  // Easter Monday 2010
}

TEST(Calendar, FieldsOfKnownHours) {
    const Calendar c = calendar_of(at(2006, 12, 16, 17));  // a Saturday
    EXPECT_EQ(c.hour_of_day, 17);
    EXPECT_EQ(c.daypart, 2);
    EXPECT_EQ(c.weekday, 5);
    EXPECT_TRUE(c.is_weekend);
    EXPECT_EQ(c.month, 12);
    EXPECT_FALSE(c.is_holiday);
    const Calendar easter_monday = calendar_of(at(2007, 4, 9, 23));
    EXPECT_EQ(easter_monday.weekday, 0);
    EXPECT_EQ(easter_monday.daypart, 3);
    EXPECT_TRUE(easter_monday.is_holiday);
}

TEST(FeatureRows, LagsAndWindowsAtTheStartOfTheSeries) {
    const Minute t0 = at(2007, 1, 1, 0);
    const auto rows = build_feature_rows(hours_from(t0, {1, 2, 4, 8}));
    ASSERT_EQ(rows.size(), 5u);  // four hours plus the row the next forecast starts from
    EXPECT_TRUE(std::isnan(rows[0].value[kLag1]));
    EXPECT_TRUE(std::isnan(rows[0].value[kMean3]));
    EXPECT_DOUBLE_EQ(rows[1].value[kLag1], 1);
    EXPECT_DOUBLE_EQ(rows[1].value[kMean3], 1);
    EXPECT_TRUE(std::isnan(rows[1].value[kStd3]));  // one value: no sample deviation
    EXPECT_DOUBLE_EQ(rows[2].value[kLag2], 1);
    EXPECT_DOUBLE_EQ(rows[2].value[kStd3], std::sqrt(0.5));
    EXPECT_DOUBLE_EQ(rows[3].value[kLag3], 1);
    EXPECT_DOUBLE_EQ(rows[3].value[kMean3], 7.0 / 3);
    // The trailing row: load unknown, features from the last three hours.
    EXPECT_EQ(rows[4].hour, t0 + 4 * 60);
    EXPECT_TRUE(std::isnan(rows[4].load_kw));
    EXPECT_DOUBLE_EQ(rows[4].value[kLag1], 8);
    EXPECT_DOUBLE_EQ(rows[4].value[kMean3], 14.0 / 3);
    EXPECT_DOUBLE_EQ(rows[4].value[kStd3], std::sqrt(((2 - 14.0 / 3) * (2 - 14.0 / 3) + (4 - 14.0 / 3) * (4 - 14.0 / 3) +
                                                      (8 - 14.0 / 3) * (8 - 14.0 / 3)) /
                                                     2));
    EXPECT_DOUBLE_EQ(rows[4].value[kMean6], 15.0 / 4);  // the window is longer than the history
    EXPECT_TRUE(std::isnan(rows[4].value[kLag24]));
}

TEST(FeatureRows, GapsLeaveLagsMissingAndShortenWindows) {
    const Minute t0 = at(2007, 1, 1, 0);
    // Hour 2 is missing.
    const auto rows = build_feature_rows(hours_from(t0, {1, 2, NAN, 4, 5}));
    ASSERT_EQ(rows.size(), 5u);  // 4 hours with data + trailing row; no row for the missing hour
    const FeatureRow& h3 = rows[2];
    EXPECT_EQ(h3.hour, t0 + 3 * 60);
    EXPECT_TRUE(std::isnan(h3.value[kLag1]));  // hour 2 is missing
    EXPECT_DOUBLE_EQ(h3.value[kLag2], 2);
    EXPECT_DOUBLE_EQ(h3.value[kLag3], 1);
    EXPECT_DOUBLE_EQ(h3.value[kMean3], 1.5);  // hours 0..2 present: 1 and 2
    const FeatureRow& h4 = rows[3];
    EXPECT_DOUBLE_EQ(h4.value[kLag1], 4);
    EXPECT_TRUE(std::isnan(h4.value[kLag2]));
    EXPECT_DOUBLE_EQ(h4.value[kMean3], 3);  // hours 1..3: 2 and 4
}

TEST(FeatureRows, Lag24AndWeatherJoin) {
    const Minute t0 = at(2007, 1, 1, 0);
    std::vector<double> loads(30);
    for (int i = 0; i < 30; ++i) loads[i] = i;
    std::map<Minute, double> temperature = {{t0 + 25 * 60, 7.5}};
    const auto rows = build_feature_rows(hours_from(t0, loads), &temperature);
    EXPECT_DOUBLE_EQ(rows[26].value[kLag24], 2);
    EXPECT_DOUBLE_EQ(rows[26].temperature_lag_1, 7.5);
    EXPECT_TRUE(std::isnan(rows[25].temperature_lag_1));
}
