#pragma once
// Model inputs. Multi-horizon forecasting is direct: one model per horizon h. The input for target hour T
// at horizon h is the value features of the feature row of hour T-h+1 (built from loads up to T-h, see
// features/feature_rows.h) plus the calendar of T itself, which is known in advance. No input of a
// forecast depends on a load later than T-h: the leakage rule, tested in design_test.
#include <Eigen/Dense>
#include <string>
#include <vector>

#include "features/feature_rows.h"

namespace voltedge::training {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

struct FeatureSpec {
    std::string name, type;  // type: "float" | "int" | "bool"
};

// The inputs every model takes, in column order.
std::vector<FeatureSpec> model_features(bool with_weather);

// One input row: origin row (hour T-h+1) plus the calendar of the target hour.
void fill_input(const features::FeatureRow& origin, Minute target_hour, bool with_weather, double* out);

// Every (target, horizon h) pair the rows support: the target's load is known and the origin row exists
// with no missing value feature. Rows must be sorted by hour (as load_feature_rows returns them).
struct Design {
    int horizon;
    Matrix X;
    Vector y;
    std::vector<Minute> target_hour;
};
Design build_design(const std::vector<features::FeatureRow>& rows, int horizon, bool with_weather);

}  // namespace voltedge::training
