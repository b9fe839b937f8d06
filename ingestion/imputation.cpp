#include "ingestion/imputation.h"

#include <cmath>

#include "core/error.h"

namespace voltedge::ingestion {
namespace {

constexpr std::size_t kDay = 1440;

Milli lerp(Milli a, Milli b, std::size_t step, std::size_t steps) {
    return static_cast<Milli>(std::lround(a + (static_cast<double>(b) - a) * step / steps));
}

// Fills values[begin, end), all kMissing, with readings at begin-1 and/or end around it. Filling runs left to
// right, so v[i - kDay] is already filled and v[i + kDay] is still as read.
void fill_gap(std::vector<Milli>& v, std::size_t begin, std::size_t end, int max_linear_gap, ImputationStats& stats) {
    const std::size_t n = v.size(), len = end - begin;
    const bool has_before = begin > 0, has_after = end < n;
    if (!has_before || !has_after) {
        const Milli edge = has_before ? v[begin - 1] : v[end];
        for (std::size_t i = begin; i < end; ++i) v[i] = edge;
        stats.values_edge += len;
        return;
    }
    for (std::size_t i = begin; i < end; ++i) {
        const bool short_gap = len <= static_cast<std::size_t>(max_linear_gap);
        if (!short_gap && i >= kDay) {
            v[i] = v[i - kDay];
            ++stats.values_day_ago;
        } else if (!short_gap && i + kDay < n && v[i + kDay] != kMissing) {
            v[i] = v[i + kDay];
            ++stats.values_day_ago;
        } else {
            v[i] = lerp(v[begin - 1], v[end], i - begin + 1, len + 1);
            ++stats.values_linear;
        }
    }
}

}  // namespace

ImputationStats impute(MinuteSeries& s, int max_linear_gap) {
    ImputationStats stats;
    const std::size_t n = s.size();
    for (int f = 0; f < kFieldCount; ++f) {
        std::vector<Milli>& v = s.value[f];
        std::size_t i = 0;
        while (i < n) {
            if (v[i] != kMissing) {
                ++i;
                continue;
            }
            std::size_t end = i;
            while (end < n && v[end] == kMissing) ++end;
            if (i == 0 && end == n)
                throw Error(std::string("no valid ") + kFieldNames[f] + " reading at all",
                            "the file cannot be imputed; check its source");
            for (std::size_t k = i; k < end; ++k) s.flags[k] |= MinuteSeries::kImputed;
            fill_gap(v, i, end, max_linear_gap, stats);
            i = end;
        }
    }
    for (auto fl : s.flags) stats.minutes_imputed += (fl & MinuteSeries::kImputed) != 0;
    return stats;
}

}  // namespace voltedge::ingestion
