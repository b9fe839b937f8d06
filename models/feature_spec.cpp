#include "models/feature_spec.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "features/calendar.h"

namespace voltedge::models {
namespace {

using features::kBaseFeatureCount;

constexpr int kRecentBegin = features::kRecentMinutesIndex, kChannelBegin = features::kChannelIndex;
constexpr int kLag1 = features::lag_index(1), kRollMean24 = features::roll_mean_index(24),
              kRollMean168 = features::roll_mean_index(168), kMeanLast15m = kRecentBegin + 1;
static_assert(kLag1 >= 0 && kRollMean24 >= 0 && kRollMean168 >= 0);

std::string value_name(int i) { return features::value_feature_names()[static_cast<std::size_t>(i)]; }

// last_hours[k-1] of the origin is hour origin-k; the target hour T = origin + lead - 1. The same hour of day
// `days_back` days before the last day known at the origin is k = 24 ceil(lead / 24) - lead + 1 + 24 days_back.
int same_hour_k(int lead, int days_back) { return 24 * ((lead + 23) / 24) - lead + 1 + 24 * days_back; }

double last_hour(const features::FeatureRow& origin, int k) {
    return k >= 1 && k <= features::kHistoryHours ? origin.last_hours[static_cast<std::size_t>(k - 1)] : NAN;
}

double same_hour_smoothed(const features::FeatureRow& origin, int lead) {
    const int k = same_hour_k(lead, 0);
    double sum = 0;
    int n = 0;
    for (int j = std::max(1, k - 1); j <= k + 1; ++j)
        if (const double v = last_hour(origin, j); !std::isnan(v)) sum += v, ++n;
    return n ? sum / n : NAN;
}

}  // namespace

const std::vector<std::string>& input_groups() {
    static const std::vector<std::string> groups = {"recent_minutes", "electrical", "same_hour", "interactions", "daylight"};
    return groups;
}

void check_input_groups(const std::vector<std::string>& groups, const std::optional<features::Location>& location) {
    for (const auto& g : groups)
        if (std::find(input_groups().begin(), input_groups().end(), g) == input_groups().end()) {
            std::string known;
            for (const auto& k : input_groups()) known += (known.empty() ? "" : ", ") + k;
            throw Error("unknown input group '" + g + "'", "use some of: " + known);
        }
    if (!location && std::find(groups.begin(), groups.end(), "daylight") != groups.end())
        throw Error("input group 'daylight' needs the meter's location",
                    R"(add "location": {"latitude": ..., "longitude": ..., "utc_offset_hours": ...} to the training config)");
}

bool InputLayout::has(std::string_view group) const { return std::find(groups.begin(), groups.end(), group) != groups.end(); }

std::vector<FeatureSpec> model_features(const InputLayout& layout) {
    std::vector<FeatureSpec> specs;
    for (int i = 0; i < kBaseFeatureCount; ++i) specs.push_back({value_name(i), "float"});
    if (layout.has("recent_minutes"))
        for (int i = kRecentBegin; i < kChannelBegin; ++i) specs.push_back({value_name(i), "float"});
    if (layout.has("electrical"))
        for (int i = kChannelBegin; i < features::kValueFeatureCount; ++i) specs.push_back({value_name(i), "float"});
    if (layout.has("same_hour"))
        for (const char* name : {"same_hour_last_day", "same_hour_day_before", "same_hour_smoothed"})
            specs.push_back({name, "float"});
    if (layout.has("interactions")) {
        specs.push_back({"hour_of_week", "int"});
        for (const char* name : {"lag_1_over_mean_168", "same_hour_minus_mean_24", "end_minus_lag_1"})
            specs.push_back({name, "float"});
    }
    if (layout.has("daylight"))
        for (const char* name : {"hours_after_sunrise", "hours_after_sunset"}) specs.push_back({name, "float"});
    if (layout.with_weather) specs.push_back({"temperature_lag_1", "float"});
    for (const char* name : {"hour_of_day", "daypart", "weekday", "month"}) specs.push_back({name, "int"});
    for (const char* name : {"is_weekend", "is_holiday"}) specs.push_back({name, "bool"});
    specs.push_back({"lead_hours", "int"});
    return specs;
}

void fill_input(const features::FeatureRow& origin, Minute target_hour, int lead, const InputLayout& layout, double* out) {
    const auto& v = origin.value;
    out = std::copy(v.begin(), v.begin() + kBaseFeatureCount, out);
    if (layout.has("recent_minutes")) out = std::copy(v.begin() + kRecentBegin, v.begin() + kChannelBegin, out);
    if (layout.has("electrical")) out = std::copy(v.begin() + kChannelBegin, v.end(), out);
    const double same_hour = last_hour(origin, same_hour_k(lead, 0));
    if (layout.has("same_hour"))
        for (double x : {same_hour, last_hour(origin, same_hour_k(lead, 1)), same_hour_smoothed(origin, lead)}) *out++ = x;
    const features::Calendar c = features::calendar_of(target_hour);
    if (layout.has("interactions"))
        for (double x : {double(24 * c.weekday + c.hour_of_day), v[kLag1] / std::max(features::kMinLevelKw, v[kRollMean168]),
                         same_hour - v[kRollMean24], v[kMeanLast15m] - v[kLag1]})
            *out++ = x;
    if (layout.has("daylight")) {
        const auto sun = features::daylight_of(target_hour, *layout.location);
        const double middle = c.hour_of_day + 0.5;
        *out++ = middle - sun.sunrise;
        *out++ = middle - sun.sunset;
    }
    if (layout.with_weather) *out++ = origin.temperature_lag_1;
    for (double x : {double(c.hour_of_day), double(c.daypart), double(c.weekday), double(c.month), double(c.is_weekend),
                     double(c.is_holiday), double(lead)})
        *out++ = x;
}

}  // namespace voltedge::models
