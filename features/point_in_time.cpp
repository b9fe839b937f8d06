#include "features/point_in_time.h"

#include <cmath>

namespace voltedge::features {
namespace {

constexpr Minute kDay = 1440;

Minute hour_of(Minute ts) { return ts - ((ts % 60) + 60) % 60; }

}  // namespace

std::vector<HourLoad> known_hourly_loads(const std::vector<MinuteLoad>& minutes) {
    if (minutes.empty()) return {};
    const Minute first = hour_of(minutes.front().ts), end = minutes.back().ts + 1;
    std::vector<double> kw(static_cast<std::size_t>(end - first), NAN);
    std::vector<char> measured(kw.size(), 0);
    for (const auto& m : minutes)
        if (m.measured) {
            kw[m.ts - first] = m.kw;
            measured[m.ts - first] = 1;
        }
    // Left to right, so kw[i - kDay] is already filled the same way when it is read.
    double last_reading = NAN;
    Minute gap = 0;  // minutes since the last reading
    for (std::size_t i = 0; i < kw.size(); ++i) {
        if (measured[i]) {
            last_reading = kw[i];
            gap = 0;
            continue;
        }
        ++gap;
        const bool day_ago_known = gap > kCarryMinutes && i >= static_cast<std::size_t>(kDay) && !std::isnan(kw[i - kDay]);
        kw[i] = day_ago_known ? kw[i - kDay] : last_reading;
    }
    std::vector<HourLoad> hours;
    for (std::size_t begin = 0; begin < kw.size(); begin += 60) {
        double sum = 0;
        int known = 0, imputed = 0;
        for (std::size_t i = begin; i < std::min(begin + 60, kw.size()); ++i) {
            if (!std::isnan(kw[i])) {
                sum += kw[i];
                ++known;
            }
            imputed += !measured[i] && first + static_cast<Minute>(i) >= minutes.front().ts;
        }
        hours.push_back({first + static_cast<Minute>(begin), known ? sum / known : NAN, imputed});
    }
    return hours;
}

}  // namespace voltedge::features
