#pragma once
// Model inputs as they were known at the time. Ingestion fills a gap in hindsight (ingestion/imputation.h):
// it picks the fill by the gap's length, known only once the gap has ended, and draws short gaps toward the
// reading after them. Neither exists at a forecast origin inside or just after a gap, so the loads that lags
// and rolling windows read are filled again here, from earlier minutes only:
//  - the first kCarryMinutes minutes of a gap repeat the last reading before it;
//  - later minutes take the same minute one day earlier (itself filled this way if it was missing), where
//    the series reaches back that far, else the last reading still;
//  - minutes before the first reading stay unknown.
// A minute's value depends on nothing after it, so the feature row of hour T built from all data equals the
// one built from only the minutes before T: what a forecast made at T would have computed (tested by
// PointInTime in tests/integration/training_test.cpp). The hindsight fill stays in usage_minute and
// usage_hourly, for display and as the targets (which the backtest does not score; see training/train.h).
#include <vector>

#include "features/feature_rows.h"

namespace voltedge::features {

inline constexpr int kCarryMinutes = 60;  // as ingestion's linear limit: a short gap repeats the last reading

inline constexpr int kChannelCount = static_cast<int>(kChannelNames.size());

struct MinuteLoad {
    Minute ts;
    double kw;      // ignored when not measured
    bool measured;  // false: ingestion filled this minute in
    // The other channels, in kChannelNames' order (sub-meterings Wh, reactive kW, voltage V, intensity A);
    // ignored when not measured.
    std::array<double, kChannelCount> channels = nan_array<kChannelCount>();
};

// Mean load per hour as known at the end of that hour, on every hour from the first minute's to the last's
// (NaN where nothing is known yet), from minutes sorted by time without duplicates; absent minutes count as
// missing. imputed_minutes counts the hour's minutes from the first one on that were not measured.
// end_of_hour holds the hour's last 5/15/30 minutes' mean and its trend, from the same as-known minutes,
// then the channels' means over its measured minutes (or the last earlier hour's that had any).
std::vector<HourLoad> known_hourly_loads(const std::vector<MinuteLoad>& minutes);

}  // namespace voltedge::features
