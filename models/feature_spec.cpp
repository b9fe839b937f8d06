#include "models/feature_spec.h"

#include "features/calendar.h"

namespace voltedge::models {

std::vector<FeatureSpec> model_features(bool with_weather) {
    std::vector<FeatureSpec> specs;
    for (const auto& name : features::value_feature_names()) specs.push_back({name, "float"});
    if (with_weather) specs.push_back({"temperature_lag_1", "float"});
    for (const char* name : {"hour_of_day", "daypart", "weekday", "month"}) specs.push_back({name, "int"});
    for (const char* name : {"is_weekend", "is_holiday"}) specs.push_back({name, "bool"});
    specs.push_back({"lead_hours", "int"});
    return specs;
}

void fill_input(const features::FeatureRow& origin, Minute target_hour, int lead, bool with_weather, double* out) {
    for (double v : origin.value) *out++ = v;
    if (with_weather) *out++ = origin.temperature_lag_1;
    const features::Calendar c = features::calendar_of(target_hour);
    for (double v : {double(c.hour_of_day), double(c.daypart), double(c.weekday), double(c.month), double(c.is_weekend),
                     double(c.is_holiday), double(lead)})
        *out++ = v;
}

}  // namespace voltedge::models
