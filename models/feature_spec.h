#pragma once
// The inputs every model takes, and how one input row is filled. Every lead 1..48 h is forecast from the
// origin, the first hour without data, with everything known there: the input for target hour T at lead h is
// the value features of the feature row of hour T-h+1 (built from loads up to T-h, see
// features/feature_rows.h), the calendar of T itself (known in advance), and h. One model serves a bucket of
// leads (training/design.h). Training and serving both fill inputs here, so they cannot disagree.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "features/calendar.h"
#include "features/feature_rows.h"

namespace voltedge::models {

struct FeatureSpec {
    std::string name, type;  // type: "float" | "int" | "bool"
};

// Optional groups of inputs, each kept only where the backtest says it helps (`voltedge ablate`):
//  - recent_minutes: the previous hour's last 5/15/30 minutes' mean and trend;
//  - electrical: the previous hour's sub-meterings, reactive power, voltage and intensity;
//  - same_hour: the loads of the target's hour of day on the last two days known at the origin, and around it
//    (the lags of the origin row hit that hour only at some leads);
//  - interactions: ratios and differences trees cannot easily form (hour of week, level against the week,
//    the same-hour load against the day's mean, the end of the last hour against its mean);
//  - daylight: the target hour against the day's sunrise and sunset where the meter is (lights go on at dusk,
//    which drifts through the year within a month); it needs the meter's location.
// The lags and rolling windows, the calendar and the lead are always in; the weather join is its own flag.
const std::vector<std::string>& input_groups();
// Throws Error naming the known groups when one is not, or when daylight has no location to go by.
void check_input_groups(const std::vector<std::string>& groups, const std::optional<features::Location>& location);

struct InputLayout {
    bool with_weather = false;
    std::vector<std::string> groups;             // some of input_groups()
    std::optional<features::Location> location;  // the meter's, for daylight
    bool has(std::string_view group) const;
};

// The input columns, in order: the lags and windows first (so their positions never move), the groups,
// the temperature, the calendar of the target hour, the lead last.
std::vector<FeatureSpec> model_features(const InputLayout& layout);

// One input row: origin row (hour T-lead+1), the calendar of the target hour T, and the lead.
void fill_input(const features::FeatureRow& origin, Minute target_hour, int lead, const InputLayout& layout, double* out);

}  // namespace voltedge::models
