#include "core/civil_time.h"

namespace voltedge {

CivilDate civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    const int y = static_cast<int>(yoe + era * 400) + (m <= 2);
    return {y, m, d};
}

namespace {
char* put2(char* out, unsigned v) {
    out[0] = static_cast<char>('0' + v / 10);
    out[1] = static_cast<char>('0' + v % 10);
    return out + 2;
}
}  // namespace

char* format_minute(Minute minute, char* out) {
    std::int64_t days = minute / 1440, in_day = minute % 1440;
    if (in_day < 0) { in_day += 1440; --days; }
    const CivilDate date = civil_from_days(days);
    const unsigned y = static_cast<unsigned>(date.year);
    out = put2(out, y / 100);
    out = put2(out, y % 100);
    *out++ = '-';
    out = put2(out, date.month);
    *out++ = '-';
    out = put2(out, date.day);
    *out++ = ' ';
    out = put2(out, static_cast<unsigned>(in_day / 60));
    *out++ = ':';
    out = put2(out, static_cast<unsigned>(in_day % 60));
    *out++ = ':';
    *out++ = '0';
    *out++ = '0';
    return out;
}

std::string format_minute(Minute minute) {
    char buf[19];
    format_minute(minute, buf);
    return std::string(buf, 19);
}

}  // namespace voltedge
