#include "features/calendar.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace voltedge::features {

CivilDate easter_sunday(int year) {
    const int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
    const int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
    const int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    const int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return {year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
}

bool is_french_holiday(const CivilDate& date) {
    struct MonthDay {
        unsigned month, day;
    };
    constexpr MonthDay kFixed[] = {{1, 1}, {5, 1}, {5, 8}, {7, 14}, {8, 15}, {11, 1}, {11, 11}, {12, 25}};
    for (const auto& f : kFixed)
        if (date.month == f.month && date.day == f.day) return true;
    const CivilDate easter = easter_sunday(date.year);
    const std::int64_t offset = days_from_civil(date.year, date.month, date.day) -
                                days_from_civil(easter.year, easter.month, easter.day);
    return offset == 1 || offset == 39 || offset == 50;  // Easter Monday, Ascension, Whit Monday
}

int daypart(int hour_of_day) { return hour_of_day / 6; }

Calendar calendar_of(Minute hour) {
    const std::int64_t days = hour >= 0 ? hour / 1440 : (hour - 1439) / 1440;
    const int hour_of_day = static_cast<int>((hour - days * 1440) / 60);
    const int weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // 1970-01-01 was a Thursday
    const CivilDate date = civil_from_days(days);
    return {hour_of_day, daypart(hour_of_day), weekday, weekday >= 5, static_cast<int>(date.month), is_french_holiday(date)};
}

Daylight daylight_of(Minute hour, const Location& where) {
    constexpr double kDegree = std::numbers::pi / 180;
    const std::int64_t days = hour >= 0 ? hour / 1440 : (hour - 1439) / 1440;
    const CivilDate date = civil_from_days(days);
    const auto day_of_year = static_cast<double>(days - days_from_civil(date.year, 1, 1));  // 0 on 1 January
    const double g = 2 * std::numbers::pi / 365.0 * day_of_year;                            // the year's angle, at noon
    const double equation_of_time = 229.18 * (0.000075 + 0.001868 * std::cos(g) - 0.032077 * std::sin(g) -
                                              0.014615 * std::cos(2 * g) - 0.040849 * std::sin(2 * g));  // minutes
    const double declination = 0.006918 - 0.399912 * std::cos(g) + 0.070257 * std::sin(g) - 0.006758 * std::cos(2 * g) +
                               0.000907 * std::sin(2 * g) - 0.002697 * std::cos(3 * g) + 0.00148 * std::sin(3 * g);
    const double lat = where.latitude * kDegree;
    const double cos_hour_angle = std::cos(90.833 * kDegree) / (std::cos(lat) * std::cos(declination)) -
                                  std::tan(lat) * std::tan(declination);
    const double hour_angle = std::acos(std::clamp(cos_hour_angle, -1.0, 1.0)) / kDegree;  // degrees; 0 or 180 at the poles
    const double noon = (720 - 4 * where.longitude - equation_of_time) / 60 + where.utc_offset_hours;  // clock hours
    return {noon - hour_angle / 15, noon + hour_angle / 15};
}

}  // namespace voltedge::features
