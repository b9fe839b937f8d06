#include "training/design.h"

#include <algorithm>

namespace voltedge::training {

Design build_design(const std::vector<features::FeatureRow>& rows, int horizon, bool with_weather) {
    const std::size_t width = models::model_features(with_weather).size();
    std::vector<double> x;
    std::vector<double> y;
    std::vector<Minute> hours;
    std::vector<int> imputed;
    std::vector<double> input(width);
    std::size_t origin = 0;
    for (const auto& target : rows) {
        if (std::isnan(target.load_kw)) continue;
        const Minute origin_hour = target.hour - 60 * (horizon - 1);
        while (origin < rows.size() && rows[origin].hour < origin_hour) ++origin;  // both advance monotonically
        if (origin == rows.size() || rows[origin].hour != origin_hour) continue;
        models::fill_input(rows[origin], target.hour, with_weather, input.data());
        if (std::any_of(input.begin(), input.end(), [](double v) { return std::isnan(v); })) continue;
        x.insert(x.end(), input.begin(), input.end());
        y.push_back(target.load_kw);
        hours.push_back(target.hour);
        imputed.push_back(target.imputed_minutes);
    }
    Design d{horizon, Matrix(y.size(), width), Vector(y.size()), std::move(hours), std::move(imputed)};
    if (!y.empty()) {
        d.X = Eigen::Map<Matrix>(x.data(), static_cast<Eigen::Index>(y.size()), static_cast<Eigen::Index>(width));
        d.y = Eigen::Map<Vector>(y.data(), static_cast<Eigen::Index>(y.size()));
    }
    return d;
}

}  // namespace voltedge::training
