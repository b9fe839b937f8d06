#pragma once
// Minute timestamps on the meter's wall clock: minutes since 1970-01-01 00:00 of that clock, no time zone.
// (The UCI clock has no daylight-saving jumps; see README "Time and daylight saving".)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace voltedge {

using Minute = std::int64_t;

// Howard Hinnant's days_from_civil: proleptic Gregorian date -> days since 1970-01-01.
constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
    int year;
    unsigned month;
    unsigned day;
};
CivilDate civil_from_days(std::int64_t days);

constexpr bool is_valid_date(int y, unsigned m, unsigned d) {
    if (m < 1 || m > 12 || d < 1) return false;
    constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap);
}

// "YYYY-MM-DD HH:MM:SS" into out (19 chars, no terminator); returns out + 19.
char* format_minute(Minute minute, char* out);
std::string format_minute(Minute minute);

}  // namespace voltedge

namespace voltedge {

// Parses "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (seconds must be 0); nullopt if malformed.
std::optional<Minute> parse_minute(std::string_view text);

}  // namespace voltedge
