#pragma once
// The inputs every model takes, and how one input row is filled. Multi-horizon forecasting is direct: one
// model per horizon h. The input for target hour T at horizon h is the value features of the feature row of
// hour T-h+1 (built from loads up to T-h, see features/feature_rows.h) plus the calendar of T itself, which
// is known in advance. Training and serving both fill inputs here, so they cannot disagree.
#include <string>
#include <vector>

#include "features/feature_rows.h"

namespace voltedge::models {

struct FeatureSpec {
    std::string name, type;  // type: "float" | "int" | "bool"
};

// The input columns, in order.
std::vector<FeatureSpec> model_features(bool with_weather);

// One input row: origin row (hour T-h+1) plus the calendar of the target hour.
void fill_input(const features::FeatureRow& origin, Minute target_hour, bool with_weather, double* out);

}  // namespace voltedge::models
