#pragma once
// Data-quality checks on a minute series. Each check yields a row for the data_quality table.
#include <string>
#include <vector>

#include "ingestion/readings.h"
#include "ingestion/series.h"

namespace voltedge::ingestion {

struct CheckResult {
    std::string name;
    bool passed;
    double observed;
    double threshold;
    std::string details;
};

struct ValidationOptions {
    double max_missing_share = 0.05;  // share of minutes with a missing value (the UCI file: ~1.25 %)
    Milli voltage_min = 195'500;      // 230 V +/- 15 %: wider than the EN 50160 band of +/- 10 %
    Milli voltage_max = 264'500;
    // Energy identity (UCI notes): Global_active_power*1000/60 >= Sub_metering_1+2+3 (Wh in the minute).
    // The sub-meters are whole Wh, so each may round up by up to 1 Wh; readings are also averaged
    // separately. A minute violates it when the sub-meters exceed the total by more than this:
    double energy_tolerance_wh = 3.0;
    double max_energy_violation_share = 0.001;
};

// Minutes where at least one field is missing ('?' in the file, or no row at all).
std::size_t minutes_with_missing_value(const MinuteSeries& series);

// Runs every value check. Values out of range are set to kMissing so imputation replaces them; the
// checks that failed to parse or to fit the schema never get here (the parser rejects the file).
std::vector<CheckResult> validate(MinuteSeries& series, const TimestampStats& timestamps, const ValidationOptions& options = {});

}  // namespace voltedge::ingestion
