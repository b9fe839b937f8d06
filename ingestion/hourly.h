#pragma once
// Hourly aggregates of a (fully imputed) minute series. An hour at either end of the series may be
// partial: its figures cover only the minutes it has, and minutes_present + minutes_imputed says how many.
#include <vector>

#include "ingestion/readings.h"

namespace voltedge::ingestion {

struct HourlyRow {
    Minute hour;  // first minute of the hour
    double mean_kw, energy_kwh, min_kw, max_kw;
    double mean_reactive_kw, mean_voltage;
    double sub_metering_wh[3];
    int minutes_present, minutes_imputed;
};

std::vector<HourlyRow> resample_hourly(const MinuteSeries& series);

}  // namespace voltedge::ingestion
