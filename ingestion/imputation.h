#pragma once
// Fills missing values in a minute series, per field, and flags the minutes touched:
//  - a gap of up to `max_linear_gap` minutes between two readings: linear interpolation;
//  - a longer gap: the value of the same minute one day earlier (already filled), because a household's
//    load repeats daily and a straight line across hours would flatten the evening peak; where the day
//    before lies outside the series, the day after if it holds a reading, else linear;
//  - a gap touching either end of the series: the nearest reading (nothing to interpolate towards).
// Results are rounded to the file's resolution (0.001).
#include "ingestion/readings.h"

namespace voltedge::ingestion {

struct ImputationStats {
    std::size_t minutes_imputed = 0;  // minutes with at least one filled value
    std::size_t values_linear = 0;
    std::size_t values_day_ago = 0;
    std::size_t values_edge = 0;
};

ImputationStats impute(MinuteSeries& series, int max_linear_gap = 60);

}  // namespace voltedge::ingestion
