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

// v2: inputs as known at the time (point_in_time.h); v3: the end of the previous hour, its other meter
// channels, and the last 48 hourly loads.
inline constexpr const char* kFeatureSetVersion = "hourly-v3";
inline constexpr std::array<int, 6> kLags = {1, 2, 3, 24, 48, 168};
inline constexpr std::array<int, 4> kWindows = {3, 6, 24, 168};
// What the minutes say about the end of the previous hour (t-1), as known when it ended: the mean load of
// its last 5, 15 and 30 minutes and its least-squares trend (kW per hour) ...
inline constexpr std::array<const char*, 4> kRecentMinuteNames = {"mean_last_5m", "mean_last_15m", "mean_last_30m",
                                                                  "trend_last_60m"};
// ... and its mean of the meter's other channels, over measured minutes (an hour with none repeats the last
// hour that had some): sub-meterings in Wh per minute, reactive power kW, voltage V, intensity A.
inline constexpr std::array<const char*, 6> kChannelNames = {"sub_metering_1_lag_1", "sub_metering_2_lag_1",
                                                             "sub_metering_3_lag_1", "reactive_power_lag_1",
                                                             "voltage_lag_1",        "intensity_lag_1"};
inline constexpr int kEndOfHourCount = static_cast<int>(kRecentMinuteNames.size() + kChannelNames.size());
inline constexpr int kBaseFeatureCount = static_cast<int>(kLags.size() + 2 * kWindows.size());
inline constexpr int kValueFeatureCount = kBaseFeatureCount + kEndOfHourCount;
inline constexpr int kHistoryHours = 48;  // FeatureRow::last_hours

// Positions in FeatureRow::value, for code that reads one feature by meaning.
constexpr int lag_index(int lag) {
    for (std::size_t i = 0; i < kLags.size(); ++i)
        if (kLags[i] == lag) return static_cast<int>(i);
    return -1;
}
constexpr int roll_mean_index(int window) {
    for (std::size_t i = 0; i < kWindows.size(); ++i)
        if (kWindows[i] == window) return static_cast<int>(kLags.size() + 2 * i);
    return -1;
}
inline constexpr int kRecentMinutesIndex = kBaseFeatureCount;  // kRecentMinuteNames, then kChannelNames
inline constexpr int kChannelIndex = kRecentMinutesIndex + static_cast<int>(kRecentMinuteNames.size());
inline constexpr double kMinLevelKw = 0.1;  // a household never idles below this for a day; keeps ratios finite

template <std::size_t N>
constexpr std::array<double, N> nan_array() {
    std::array<double, N> a{};
    for (double& v : a) v = NAN;
    return a;
}

struct HourLoad {
    Minute hour;
    double load_kw;
    int imputed_minutes = 0;  // minutes of the hour filled in by ingestion rather than measured
    // Inputs only (features/point_in_time.h): kRecentMinuteNames then kChannelNames, at the end of this hour.
    std::array<double, kEndOfHourCount> end_of_hour = nan_array<kEndOfHourCount>();
};

struct FeatureRow {
    Minute hour;
    double load_kw = NAN;     // NaN on the trailing row (not yet observed)
    int imputed_minutes = 0;  // of the hour's load (the target); such targets are not scored by default
    // lag_1 .. lag_168, then roll_mean_w, roll_std_w per window, then the end of hour t-1 (kRecentMinuteNames,
    // kChannelNames); NaN where the history is too short or missing.
    std::array<double, kValueFeatureCount> value{};
    // The loads of hours t-1 .. t-48 as known then (last_hours[k-1] = hour t-k), for inputs aligned with the
    // target hour rather than the origin (models/feature_spec.h).
    std::array<double, kHistoryHours> last_hours = nan_array<kHistoryHours>();
    double temperature_lag_1 = NAN;  // weather join (off by default): temperature of hour t-1, degrees C
    Calendar calendar{};
};

// Names of FeatureRow::value, in order; they are also the feature table's column names. The first
// kBaseFeatureCount are the lags and windows.
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
