#pragma once
// The inputs every model takes, and how one input row is filled. Every lead 1..48 h is forecast from the
// origin, the first hour without data, with everything known there: the input for target hour T at lead h is
// the value features of the feature row of hour T-h+1 (built from loads up to T-h, see
// features/feature_rows.h), the calendar of T itself (known in advance), and h. One model serves a bucket of
// leads (training/design.h). Training and serving both fill inputs here, so they cannot disagree.
#include <string>
#include <vector>

#include "features/feature_rows.h"

namespace voltedge::models {

struct FeatureSpec {
    std::string name, type;  // type: "float" | "int" | "bool"
};

// The input columns, in order.
std::vector<FeatureSpec> model_features(bool with_weather);

// One input row: origin row (hour T-lead+1), the calendar of the target hour T, and the lead.
void fill_input(const features::FeatureRow& origin, Minute target_hour, int lead, bool with_weather, double* out);

}  // namespace voltedge::models
