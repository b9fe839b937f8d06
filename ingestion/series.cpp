#include "ingestion/series.h"

#include <algorithm>

#include "core/error.h"

namespace voltedge::ingestion {
namespace {

constexpr Minute kMaxSpanMinutes = 30LL * 366 * 1440;  // a meter file spanning more is a typo'd date

bool is_contiguous(const ParsedRows& rows) {
    for (std::size_t i = 1; i < rows.size(); ++i)
        if (rows.minute[i] != rows.minute[i - 1] + 1) return false;
    return true;
}

}  // namespace

MinuteSeries build_series(ParsedRows&& rows, TimestampStats& stats, const std::string& source_name) {
    stats = {};
    stats.rows = rows.size();
    MinuteSeries series;
    if (rows.size() == 0) return series;

    // The common case, one row a minute in order: take the columns as they are, no copy.
    if (is_contiguous(rows)) {
        series.start = rows.minute.front();
        series.value = std::move(rows.value);
        series.flags.assign(rows.size(), 0);
        return series;
    }

    const auto [lo, hi] = std::minmax_element(rows.minute.begin(), rows.minute.end());
    if (*hi - *lo >= kMaxSpanMinutes)
        throw Error(source_name + ": timestamps span " + format_minute(*lo) + " to " + format_minute(*hi) +
                        ", more than 30 years",
                    "check the file for a mistyped date");
    const std::size_t n = static_cast<std::size_t>(*hi - *lo + 1);
    series.start = *lo;
    for (auto& v : series.value) v.assign(n, kMissing);
    series.flags.assign(n, MinuteSeries::kTimestampAbsent);

    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (r > 0 && rows.minute[r] < rows.minute[r - 1]) ++stats.out_of_order;
        const auto slot = static_cast<std::size_t>(rows.minute[r] - series.start);
        if (!(series.flags[slot] & MinuteSeries::kTimestampAbsent)) {
            ++stats.duplicates;
            continue;
        }
        series.flags[slot] = 0;
        for (int f = 0; f < kFieldCount; ++f) series.value[f][slot] = rows.value[f][r];
    }
    stats.absent_minutes = static_cast<std::size_t>(
        std::count_if(series.flags.begin(), series.flags.end(), [](auto fl) { return fl & MinuteSeries::kTimestampAbsent; }));
    rows = {};
    return series;
}

}  // namespace voltedge::ingestion
