#include "features/feature_rows.h"

#include <fmt/format.h>

namespace voltedge::features {

const std::vector<std::string>& value_feature_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (int lag : kLags) n.push_back(fmt::format("lag_{}", lag));
        for (int w : kWindows) {
            n.push_back(fmt::format("roll_mean_{}", w));
            n.push_back(fmt::format("roll_std_{}", w));
        }
        return n;
    }();
    return names;
}

namespace {

// Loads on a dense hourly grid from the first hour to the last; NaN where an hour is missing.
struct DenseLoads {
    Minute first;
    std::vector<double> load;
    double at(Minute hour) const {
        const Minute i = (hour - first) / 60;
        return hour < first || i >= static_cast<Minute>(load.size()) ? NAN : load[i];
    }
};

void fill_windows(const DenseLoads& dense, Minute hour, FeatureRow& row) {
    int slot = static_cast<int>(kLags.size());
    for (int w : kWindows) {
        double sum = 0, sum_sq = 0;
        int n = 0;
        for (int k = 1; k <= w; ++k) {
            const double v = dense.at(hour - 60 * k);
            if (std::isnan(v)) continue;
            sum += v;
            sum_sq += v * v;
            ++n;
        }
        const double mean = n ? sum / n : NAN;
        row.value[slot++] = mean;
        row.value[slot++] = n >= 2 ? std::sqrt(std::max(0.0, (sum_sq - n * mean * mean) / (n - 1))) : NAN;
    }
}

}  // namespace

std::vector<FeatureRow> build_feature_rows(const std::vector<HourLoad>& loads, const std::map<Minute, double>* temperature) {
    if (loads.empty()) return {};
    DenseLoads dense{loads.front().hour, std::vector<double>((loads.back().hour - loads.front().hour) / 60 + 1, NAN)};
    for (const auto& l : loads) dense.load[(l.hour - dense.first) / 60] = l.load_kw;

    std::vector<FeatureRow> rows;
    rows.reserve(loads.size() + 1);
    auto add_row = [&](Minute hour, double load_kw, int imputed_minutes) {
        FeatureRow row{hour, load_kw, imputed_minutes};
        for (std::size_t i = 0; i < kLags.size(); ++i) row.value[i] = dense.at(hour - 60 * kLags[i]);
        fill_windows(dense, hour, row);
        if (temperature) {
            const auto it = temperature->find(hour - 60);
            if (it != temperature->end()) row.temperature_lag_1 = it->second;
        }
        row.calendar = calendar_of(hour);
        rows.push_back(row);
    };
    for (const auto& l : loads) add_row(l.hour, l.load_kw, l.imputed_minutes);
    add_row(loads.back().hour + 60, NAN, 0);
    return rows;
}

}  // namespace voltedge::features
