#pragma once
// Hourly features for load forecasting, computed in memory from the hourly load series.
//
// The row of hour t describes what is known when hour t starts: every value feature uses loads of hours
// before t only (lag_k = load of t-k; rolling windows cover t-w .. t-1), as they were known then. The
// feature table therefore has one extra row after the last hour with data, whose load is unknown: the row a
// forecast starts from. A model forecasting hour T at horizon h reads the row of hour T-h+1 (data up to T-h)
// plus the calendar of T itself (see training/design.h), so no forecast sees data later than its horizon
// allows.
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "features/calendar.h"

namespace voltedge::features {

inline constexpr const char* kFeatureSetVersion = "hourly-v2";  // v2: inputs as known at the time (point_in_time.h)
inline constexpr std::array<int, 6> kLags = {1, 2, 3, 24, 48, 168};
inline constexpr std::array<int, 4> kWindows = {3, 6, 24, 168};
inline constexpr int kValueFeatureCount = static_cast<int>(kLags.size() + 2 * kWindows.size());

struct HourLoad {
    Minute hour;
    double load_kw;
    int imputed_minutes = 0;  // minutes of the hour filled in by ingestion rather than measured
};

struct FeatureRow {
    Minute hour;
    double load_kw = NAN;     // NaN on the trailing row (not yet observed)
    int imputed_minutes = 0;  // of the hour's load (the target); such targets are not scored by default
    // lag_1 .. lag_168, then roll_mean_w, roll_std_w per window; NaN where the history is too short or missing.
    std::array<double, kValueFeatureCount> value{};
    double temperature_lag_1 = NAN;  // weather join (off by default): temperature of hour t-1, degrees C
    Calendar calendar{};
};

// Names of FeatureRow::value, in order; they are also the feature table's column names.
const std::vector<std::string>& value_feature_names();

// Rolling statistics use the hours present in the window: a gap shortens the window rather than voiding
// it. The mean needs one hour, the (sample) standard deviation two; otherwise NaN.
// One row per target hour plus the trailing row. Lags and windows read `inputs`, the loads as known at the
// time (features/point_in_time.h), or the targets themselves when none are given (a series without gaps).
// Both must be sorted by hour without duplicates; hours may be missing.
std::vector<FeatureRow> build_feature_rows(const std::vector<HourLoad>& targets,
                                           const std::map<Minute, double>* temperature = nullptr,
                                           const std::vector<HourLoad>* inputs = nullptr);

}  // namespace voltedge::features
