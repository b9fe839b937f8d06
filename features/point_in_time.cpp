#include "features/point_in_time.h"

#include <algorithm>
#include <cmath>

namespace voltedge::features {
namespace {

constexpr Minute kDay = 1440;

Minute hour_of(Minute ts) { return ts - ((ts % 60) + 60) % 60; }

// Mean of the known values of [begin, end); NaN if none.
double mean_of(const std::vector<double>& kw, std::size_t begin, std::size_t end) {
    double sum = 0;
    int n = 0;
    for (std::size_t i = begin; i < end; ++i)
        if (!std::isnan(kw[i])) sum += kw[i], ++n;
    return n ? sum / n : NAN;
}

// Least-squares slope of the known values of [begin, end) against time, in kW per hour; NaN below 2 values.
double trend_of(const std::vector<double>& kw, std::size_t begin, std::size_t end) {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = begin; i < end; ++i) {
        if (std::isnan(kw[i])) continue;
        const double x = static_cast<double>(i - begin);
        n += 1, sx += x, sy += kw[i], sxx += x * x, sxy += x * kw[i];
    }
    const double denominator = n * sxx - sx * sx;
    return n >= 2 && denominator > 0 ? 60 * (n * sxy - sx * sy) / denominator : NAN;
}

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
    std::array<double, kChannelCount> channels = nan_array<kChannelCount>();  // the last hour with measured minutes
    auto minute = minutes.begin();                                            // the first minute of the hour being summed
    for (std::size_t begin = 0; begin < kw.size(); begin += 60) {
        const std::size_t end = std::min(begin + 60, kw.size());
        double sum = 0;
        int known = 0, imputed = 0;
        for (std::size_t i = begin; i < end; ++i) {
            if (!std::isnan(kw[i])) {
                sum += kw[i];
                ++known;
            }
            imputed += !measured[i] && first + static_cast<Minute>(i) >= minutes.front().ts;
        }
        HourLoad hour{first + static_cast<Minute>(begin), known ? sum / known : NAN, imputed};
        int slot = 0;
        for (int span : {5, 15, 30}) hour.end_of_hour[slot++] = mean_of(kw, std::max(begin, end - span), end);
        hour.end_of_hour[slot++] = trend_of(kw, begin, end);
        std::array<double, kChannelCount> sums{};
        int measured_here = 0;
        for (; minute != minutes.end() && minute->ts < first + static_cast<Minute>(end); ++minute)
            if (minute->measured) {
                for (int c = 0; c < kChannelCount; ++c) sums[c] += minute->channels[c];
                ++measured_here;
            }
        if (measured_here)
            for (int c = 0; c < kChannelCount; ++c) channels[c] = sums[c] / measured_here;
        std::copy(channels.begin(), channels.end(), hour.end_of_hour.begin() + slot);
        hours.push_back(hour);
    }
    return hours;
}

}  // namespace voltedge::features
