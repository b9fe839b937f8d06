#include "training/design.h"

#include <algorithm>

namespace voltedge::training {

std::vector<FeatureSpec> model_features(bool with_weather) {
    std::vector<FeatureSpec> specs;
    for (const auto& name : features::value_feature_names()) specs.push_back({name, "float"});
    if (with_weather) specs.push_back({"temperature_lag_1", "float"});
    for (const char* name : {"hour_of_day", "daypart", "weekday", "month"}) specs.push_back({name, "int"});
    for (const char* name : {"is_weekend", "is_holiday"}) specs.push_back({name, "bool"});
    return specs;
}

void fill_input(const features::FeatureRow& origin, Minute target_hour, bool with_weather, double* out) {
    for (double v : origin.value) *out++ = v;
    if (with_weather) *out++ = origin.temperature_lag_1;
    const features::Calendar c = features::calendar_of(target_hour);
    for (double v : {double(c.hour_of_day), double(c.daypart), double(c.weekday), double(c.month), double(c.is_weekend),
                     double(c.is_holiday)})
        *out++ = v;
}

Design build_design(const std::vector<features::FeatureRow>& rows, int horizon, bool with_weather) {
    const std::size_t width = model_features(with_weather).size();
    std::vector<double> x;
    std::vector<double> y;
    std::vector<Minute> hours;
    std::vector<double> input(width);
    std::size_t origin = 0;
    for (const auto& target : rows) {
        if (std::isnan(target.load_kw)) continue;
        const Minute origin_hour = target.hour - 60 * (horizon - 1);
        while (origin < rows.size() && rows[origin].hour < origin_hour) ++origin;  // both advance monotonically
        if (origin == rows.size() || rows[origin].hour != origin_hour) continue;
        fill_input(rows[origin], target.hour, with_weather, input.data());
        if (std::any_of(input.begin(), input.end(), [](double v) { return std::isnan(v); })) continue;
        x.insert(x.end(), input.begin(), input.end());
        y.push_back(target.load_kw);
        hours.push_back(target.hour);
    }
    Design d{horizon, Matrix(y.size(), width), Vector(y.size()), std::move(hours)};
    if (!y.empty()) {
        d.X = Eigen::Map<Matrix>(x.data(), static_cast<Eigen::Index>(y.size()), static_cast<Eigen::Index>(width));
        d.y = Eigen::Map<Vector>(y.data(), static_cast<Eigen::Index>(y.size()));
    }
    return d;
}

}  // namespace voltedge::training
