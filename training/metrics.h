#pragma once
// Forecast and classification metrics.
#include <cmath>
#include <vector>

namespace voltedge::training {

struct RegressionMetrics {
    std::size_t n = 0;
    double mae = 0, rmse = 0;
    double mape = 0;  // percent, over actuals that are not zero; explodes at low loads, hence WAPE
    double wape = 0;  // percent: sum |error| / sum |actual|
};
RegressionMetrics regression_metrics(const std::vector<double>& actual, const std::vector<double>& predicted);

// Prediction intervals against what happened: share of actuals inside, mean width, and the pinball
// (quantile) loss averaged over the four bounds as quantiles 0.025, 0.10, 0.90, 0.975.
struct IntervalMetrics {
    std::size_t n = 0;
    double coverage_80 = NAN, width_80 = NAN, coverage_95 = NAN, width_95 = NAN, pinball = NAN;
};
struct IntervalPoint {
    double actual, lower_80, upper_80, lower_95, upper_95;
};
IntervalMetrics interval_metrics(const std::vector<IntervalPoint>& points);

struct ClassificationMetrics {
    std::size_t n = 0, positives = 0;
    double auc = 0;       // rank-based (Mann-Whitney), ties counted half
    double f1 = 0;        // at the decision threshold given
    double log_loss = 0;  // probabilities clipped to [1e-15, 1 - 1e-15]
};
ClassificationMetrics classification_metrics(const std::vector<int>& label, const std::vector<double>& probability,
                                             double threshold = 0.5);
// The same with a decision threshold per row (rows pooled from folds that each chose their own).
ClassificationMetrics classification_metrics(const std::vector<int>& label, const std::vector<double>& probability,
                                             const std::vector<double>& threshold);

// The probability threshold with the best F1 on (training) data: peaks are rare, so 0.5 is rarely right.
double best_f1_threshold(const std::vector<int>& label, const std::vector<double>& probability);

}  // namespace voltedge::training
