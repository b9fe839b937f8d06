#include "training/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace voltedge::training {

RegressionMetrics regression_metrics(const std::vector<double>& actual, const std::vector<double>& predicted) {
    RegressionMetrics m;
    m.n = actual.size();
    if (m.n == 0) return m;
    double abs_sum = 0, sq_sum = 0, pct_sum = 0, actual_sum = 0;
    std::size_t pct_n = 0;
    for (std::size_t i = 0; i < m.n; ++i) {
        const double e = predicted[i] - actual[i];
        abs_sum += std::abs(e);
        sq_sum += e * e;
        actual_sum += std::abs(actual[i]);
        if (actual[i] != 0) {
            pct_sum += std::abs(e / actual[i]);
            ++pct_n;
        }
    }
    m.mae = abs_sum / m.n;
    m.rmse = std::sqrt(sq_sum / m.n);
    m.mape = pct_n ? 100 * pct_sum / pct_n : NAN;
    m.wape = actual_sum > 0 ? 100 * abs_sum / actual_sum : NAN;
    return m;
}

IntervalMetrics interval_metrics(const std::vector<IntervalPoint>& points) {
    IntervalMetrics m;
    m.n = points.size();
    if (m.n == 0) return m;
    const auto pinball = [](double q, double actual, double bound) {
        const double d = actual - bound;
        return std::max(q * d, (q - 1) * d);
    };
    double in80 = 0, in95 = 0, w80 = 0, w95 = 0, loss = 0;
    for (const auto& p : points) {
        in80 += p.actual >= p.lower_80 && p.actual <= p.upper_80;
        in95 += p.actual >= p.lower_95 && p.actual <= p.upper_95;
        w80 += p.upper_80 - p.lower_80;
        w95 += p.upper_95 - p.lower_95;
        loss += (pinball(0.025, p.actual, p.lower_95) + pinball(0.10, p.actual, p.lower_80) +
                 pinball(0.90, p.actual, p.upper_80) + pinball(0.975, p.actual, p.upper_95)) /
                4;
    }
    const double n = static_cast<double>(m.n);
    m.coverage_80 = in80 / n;
    m.coverage_95 = in95 / n;
    m.width_80 = w80 / n;
    m.width_95 = w95 / n;
    m.pinball = loss / n;
    return m;
}

ClassificationMetrics classification_metrics(const std::vector<int>& label, const std::vector<double>& probability,
                                             double threshold) {
    return classification_metrics(label, probability, std::vector<double>(label.size(), threshold));
}

ClassificationMetrics classification_metrics(const std::vector<int>& label, const std::vector<double>& probability,
                                             const std::vector<double>& threshold) {
    ClassificationMetrics m;
    m.n = label.size();
    if (m.n == 0) return m;
    std::vector<std::size_t> order(m.n);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return probability[a] < probability[b]; });
    // Sum of the positives' ranks, ties getting their average rank.
    double positive_rank_sum = 0;
    for (std::size_t i = 0; i < m.n;) {
        std::size_t j = i;
        while (j < m.n && probability[order[j]] == probability[order[i]]) ++j;
        const double average_rank = (i + 1 + j) / 2.0;
        for (std::size_t k = i; k < j; ++k) positive_rank_sum += label[order[k]] ? average_rank : 0;
        i = j;
    }
    std::size_t tp = 0, fp = 0, fn = 0;
    double loss = 0;
    for (std::size_t i = 0; i < m.n; ++i) {
        m.positives += label[i] != 0;
        const bool predicted = probability[i] >= threshold[i];
        tp += predicted && label[i];
        fp += predicted && !label[i];
        fn += !predicted && label[i];
        const double p = std::clamp(probability[i], 1e-15, 1 - 1e-15);
        loss -= label[i] ? std::log(p) : std::log(1 - p);
    }
    const double negatives = static_cast<double>(m.n - m.positives);
    m.auc = m.positives && negatives ? (positive_rank_sum - m.positives * (m.positives + 1) / 2.0) / (m.positives * negatives)
                                     : NAN;
    m.f1 = tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0;
    m.log_loss = loss / m.n;
    return m;
}

}  // namespace voltedge::training

namespace voltedge::training {

double best_f1_threshold(const std::vector<int>& label, const std::vector<double>& probability) {
    double best = 0.5, best_f1 = -1;
    for (int step = 1; step < 100; ++step) {
        const double t = step / 100.0;
        const double f1 = classification_metrics(label, probability, t).f1;
        if (f1 > best_f1) best_f1 = f1, best = t;
    }
    return best;
}

}  // namespace voltedge::training
