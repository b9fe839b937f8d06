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
    if (in_day < 0) {
        in_day += 1440;
        --days;
    }
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

namespace voltedge {

std::optional<Minute> parse_minute(std::string_view t) {
    auto digits = [&](std::size_t pos, std::size_t n, int& out) {
        if (pos + n > t.size()) return false;
        out = 0;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (t[i] < '0' || t[i] > '9') return false;
            out = out * 10 + (t[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, s = 0;
    if (t.size() != 16 && t.size() != 19) return std::nullopt;
    if (!digits(0, 4, y) || t[4] != '-' || !digits(5, 2, mo) || t[7] != '-' || !digits(8, 2, d) ||
        (t[10] != ' ' && t[10] != 'T') || !digits(11, 2, h) || t[13] != ':' || !digits(14, 2, mi))
        return std::nullopt;
    if (t.size() == 19 && (t[16] != ':' || !digits(17, 2, s))) return std::nullopt;
    if (!is_valid_date(y, mo, d) || h > 23 || mi > 59 || s != 0) return std::nullopt;
    return days_from_civil(y, mo, d) * 1440 + h * 60 + mi;
}

}  // namespace voltedge
