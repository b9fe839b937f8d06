#pragma once
// The numeric types every model takes: row-major inputs (one row per forecast) and column vectors.
#include <Eigen/Dense>

namespace voltedge::models {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Vector = Eigen::VectorXd;

}  // namespace voltedge::models
