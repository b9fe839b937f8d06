#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "features/calendar.h"
#include "core/error.h"
#include "features/feature_rows.h"
#include "features/feature_store.h"
#include "features/point_in_time.h"

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

// Published times for Paris (48.857 N, 2.352 E), within 6 minutes: 21 June 2010 05:47 and 21:58 on summer
// time (UTC+2); 21 December 2009 08:42 and 16:56 on winter time (UTC+1); a later hour of the day, the same day.
TEST(Calendar, SunriseAndSunsetOfKnownDays) {
    const Location paris_summer{48.857, 2.352, 2}, paris_winter{48.857, 2.352, 1};
    const Daylight june = daylight_of(at(2010, 6, 21, 0), paris_summer);
    EXPECT_NEAR(june.sunrise, 5 + 47 / 60.0, 0.1);
    EXPECT_NEAR(june.sunset, 21 + 58 / 60.0, 0.1);
    const Daylight december = daylight_of(at(2009, 12, 21, 23), paris_winter);
    EXPECT_NEAR(december.sunrise, 8 + 42 / 60.0, 0.1);
    EXPECT_NEAR(december.sunset, 16 + 56 / 60.0, 0.1);
    // Beyond the polar circle: the midnight sun, and no sunrise at all in winter.
    const Daylight tromso_june = daylight_of(at(2010, 6, 21, 12), {69.65, 18.96, 1});
    EXPECT_EQ(tromso_june.sunset - tromso_june.sunrise, 24);
    const Daylight tromso_december = daylight_of(at(2010, 12, 21, 12), {69.65, 18.96, 1});
    EXPECT_EQ(tromso_december.sunset, tromso_december.sunrise);
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

namespace {

// `days` of minutes with a daily shape; `missing` minute ranges [begin, end) are not measured (their kw is a
// wild value, so any use of it would show).
std::vector<MinuteLoad> minutes_with_gaps(Minute first, int days, const std::vector<std::pair<int, int>>& missing) {
    std::vector<MinuteLoad> out;
    for (int i = 0; i < days * 1440; ++i) {
        const bool gap = std::any_of(missing.begin(), missing.end(), [&](auto r) { return i >= r.first && i < r.second; });
        out.push_back({first + i, gap ? 999.0 : 1 + 0.5 * std::sin(i * 2 * M_PI / 1440) + 0.001 * (i % 7), !gap});
    }
    return out;
}

}  // namespace

TEST(PointInTime, GapsRepeatTheLastReadingThenTheDayBefore) {
    const Minute t0 = at(2007, 1, 1, 0);
    // Two days; the second day's hour 10:00-13:00 (180 minutes) is missing.
    const int gap_begin = 1440 + 600, gap_end = gap_begin + 180;
    const auto minutes = minutes_with_gaps(t0, 2, {{gap_begin, gap_end}});
    const auto hours = known_hourly_loads(minutes);
    ASSERT_EQ(hours.size(), 48u);
    // 10:00-11:00: the first 60 minutes of the gap repeat the reading of 09:59.
    EXPECT_NEAR(hours[34].load_kw, minutes[gap_begin - 1].kw, 1e-12);
    EXPECT_EQ(hours[34].imputed_minutes, 60);
    // 11:00-13:00: the same minutes one day earlier.
    double day_before = 0;
    for (int i = gap_begin + 60 - 1440; i < gap_begin + 120 - 1440; ++i) day_before += minutes[i].kw;
    EXPECT_NEAR(hours[35].load_kw, day_before / 60, 1e-12);
    // Untouched hours are the plain mean.
    double measured = 0;
    for (int i = 0; i < 60; ++i) measured += minutes[i].kw;
    EXPECT_NEAR(hours[0].load_kw, measured / 60, 1e-12);
    EXPECT_EQ(hours[0].imputed_minutes, 0);
}

TEST(PointInTime, NothingIsKnownBeforeTheFirstReading) {
    const Minute t0 = at(2007, 1, 1, 0);
    auto minutes = minutes_with_gaps(t0, 1, {{0, 90}});  // the file starts with 90 missing minutes
    const auto hours = known_hourly_loads(minutes);
    EXPECT_TRUE(std::isnan(hours[0].load_kw));
    EXPECT_DOUBLE_EQ(hours[1].load_kw, [&] {  // 01:30-02:00 measured only
        double sum = 0;
        for (int i = 90; i < 120; ++i) sum += minutes[i].kw;
        return sum / 30;
    }());
}

// The property everything rests on: the hourly inputs known at hour T, computed from all the data, equal those
// computed from only the minutes before T, for every T, gaps of every length included.
TEST(PointInTime, NoHourDependsOnLaterMinutes) {
    const Minute t0 = at(2007, 1, 1, 0);
    const auto minutes = minutes_with_gaps(t0, 4, {{100, 130}, {1500, 1800}, {2900, 4400}, {5000, 5010}});
    const auto all = known_hourly_loads(minutes);
    for (std::size_t end = 60; end <= minutes.size(); end += 60) {
        const auto prefix = known_hourly_loads({minutes.begin(), minutes.begin() + end});
        ASSERT_EQ(prefix.size(), end / 60);
        for (std::size_t h = 0; h < prefix.size(); ++h) ASSERT_EQ(prefix[h].load_kw, all[h].load_kw) << "hour " << h;
    }
}

TEST(FeatureRows, LagsReadTheKnownLoadsAndTargetsKeepTheirOwn) {
    const Minute t0 = at(2007, 1, 1, 0);
    std::vector<HourLoad> targets = hours_from(t0, {1, 2, 3}), inputs = hours_from(t0, {10, 20, 30});
    targets[1].imputed_minutes = 12;
    const auto rows = build_feature_rows(targets, nullptr, &inputs);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_EQ(rows[1].load_kw, 2);
    EXPECT_EQ(rows[1].imputed_minutes, 12);
    EXPECT_EQ(rows[2].value[kLag1], 20);
    EXPECT_EQ(rows[3].value[kLag1], 30);  // the trailing row
}

// The end of the previous hour, from the minutes as known then: the last 5/15/30 minutes' mean, the trend, and
// the other channels over measured minutes only (an hour without any repeats the last hour that had some).
TEST(PointInTime, EndOfHourInputs) {
    const Minute t0 = at(2007, 1, 1, 0);
    std::vector<MinuteLoad> minutes;
    for (int i = 0; i < 180; ++i) {  // hour 0 rises 1 kW per hour; hour 1 is missing; hour 2 is flat at 3 kW
        const bool measured = i < 60 || i >= 120;
        MinuteLoad m{t0 + i, i < 60 ? 1 + i / 60.0 : 3.0, measured};
        for (int c = 0; c < kChannelCount; ++c) m.channels[c] = measured ? (i < 60 ? 10.0 * (c + 1) : 7.0) : 999.0;
        minutes.push_back(m);
    }
    const auto hours = known_hourly_loads(minutes);
    ASSERT_EQ(hours.size(), 3u);
    const auto& end0 = hours[0].end_of_hour;
    EXPECT_NEAR(end0[0], 1 + (55 + 59) / 2.0 / 60, 1e-12);  // minutes 55..59
    EXPECT_NEAR(end0[1], 1 + (45 + 59) / 2.0 / 60, 1e-12);
    EXPECT_NEAR(end0[2], 1 + (30 + 59) / 2.0 / 60, 1e-12);
    EXPECT_NEAR(end0[3], 1.0, 1e-9);  // kW per hour
    EXPECT_DOUBLE_EQ(end0[4], 10);
    EXPECT_DOUBLE_EQ(end0[9], 60);
    // Hour 1 repeats minute 59's reading (a carried gap is flat) and the channels of hour 0.
    EXPECT_NEAR(hours[1].end_of_hour[0], 1 + 59 / 60.0, 1e-12);
    EXPECT_NEAR(hours[1].end_of_hour[3], 0.0, 1e-9);
    EXPECT_DOUBLE_EQ(hours[1].end_of_hour[4], 10);
    EXPECT_DOUBLE_EQ(hours[2].end_of_hour[9], 7);
    // The feature row of hour t carries the end of hour t-1, and the last 48 hours' loads.
    const auto rows = build_feature_rows(hours, nullptr, &hours);
    ASSERT_EQ(rows.size(), 4u);
    EXPECT_TRUE(std::isnan(rows[0].value[kBaseFeatureCount]));
    for (int k = 0; k < kEndOfHourCount; ++k) EXPECT_EQ(rows[3].value[kBaseFeatureCount + k], hours[2].end_of_hour[k]);
    EXPECT_EQ(rows[3].last_hours[0], hours[2].load_kw);
    EXPECT_EQ(rows[3].last_hours[2], hours[0].load_kw);
    EXPECT_TRUE(std::isnan(rows[3].last_hours[3]));
    EXPECT_EQ(value_feature_names()[kBaseFeatureCount], "mean_last_5m");
    EXPECT_EQ(value_feature_names().size(), static_cast<std::size_t>(kValueFeatureCount));
}

// Every end-of-hour input of hour T depends on nothing after T, as the loads do (NoHourDependsOnLaterMinutes).
TEST(PointInTime, EndOfHourInputsDependOnNoLaterMinute) {
    const Minute t0 = at(2007, 1, 1, 0);
    auto minutes = minutes_with_gaps(t0, 3, {{100, 130}, {1500, 1800}, {2900, 3300}});
    for (std::size_t i = 0; i < minutes.size(); ++i)
        for (int c = 0; c < kChannelCount; ++c) minutes[i].channels[c] = std::sin(0.01 * double(i) + c);
    const auto all = known_hourly_loads(minutes);
    for (std::size_t end = 60; end <= minutes.size(); end += 60) {
        const auto prefix = known_hourly_loads({minutes.begin(), minutes.begin() + end});
        for (int k = 0; k < kEndOfHourCount; ++k)
            ASSERT_EQ(prefix.back().end_of_hour[k], all[end / 60 - 1].end_of_hour[k])
                << "hour " << end / 60 - 1 << " input " << k;
    }
}

// The weather join's file format: "YYYY-MM-DD HH:MM:SS,temperature_c" per line, an optional header; a bad line
// is an error naming the file and line.
TEST(Weather, CsvFormat) {
    const std::string path = ::testing::TempDir() + "voltedge-weather.csv";
    {
        std::ofstream out(path);
        out << "hour,temperature_c\r\n";
        for (int h = 0; h < 48; ++h)
            out << "2007-01-0" << 1 + h / 24 << ' ' << (h % 24 < 10 ? "0" : "") << h % 24 << ":00:00," << 5.0 + 0.25 * h << "\n";
    }
    const auto t = read_weather_csv(path);
    ASSERT_EQ(t.size(), 48u);
    EXPECT_DOUBLE_EQ(t.at(at(2007, 1, 2, 3)), 5.0 + 0.25 * 27);
    // Joined as the temperature of the hour before each row.
    const auto rows = build_feature_rows(hours_from(at(2007, 1, 1, 0), std::vector<double>(30, 1.0)), &t);
    EXPECT_DOUBLE_EQ(rows[10].temperature_lag_1, 5.0 + 0.25 * 9);
    {
        std::ofstream out(path);
        out << "2007-01-01 00:00:00,5\n2007-01-01 01:00:00,warm\n";
    }
    try {
        read_weather_csv(path);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path + ":2"), std::string::npos) << e.what();
    }
    std::remove(path.c_str());
    EXPECT_THROW(read_weather_csv(path), Error);
}
