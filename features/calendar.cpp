#include "features/calendar.h"

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

}  // namespace voltedge::features
