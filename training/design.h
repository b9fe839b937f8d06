#pragma once
// Training designs: every (target, horizon) pair the feature rows support, as model inputs (see
// models/feature_spec.h for the direct multi-horizon layout). No input of a forecast depends on a load
// later than T-h: the leakage rule, tested in design_test.
#include <vector>

#include "features/feature_rows.h"
#include "models/feature_spec.h"
#include "models/matrix.h"

namespace voltedge::training {

using models::Matrix;
using models::Vector;

// Every (target, horizon h) pair the rows support: the target's load is known and the origin row exists
// with no missing value feature. Rows must be sorted by hour (as load_feature_rows returns them).
struct Design {
    int horizon;
    Matrix X;
    Vector y;
    std::vector<Minute> target_hour;
    std::vector<int> imputed_minutes;  // of each target hour (filled in by ingestion, not measured)
};
Design build_design(const std::vector<features::FeatureRow>& rows, int horizon, bool with_weather);

}  // namespace voltedge::training
