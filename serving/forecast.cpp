#include "serving/forecast.h"

#include <cmath>
#include <fmt/format.h>

namespace voltedge::serving {
namespace {
constexpr Minute kHour = 60;
}  // namespace

std::vector<Minute> next_hours(const features::FeatureStamp& stamp, int count) {
    std::vector<Minute> hours;
    for (int i = 0; i < count; ++i) hours.push_back(stamp.last_hour + i * kHour);
    return hours;
}

PlannedTarget plan_target(const ModelBundle& bundle, const features::FeatureStamp& stamp, Minute target_hour) {
    if (target_hour % kHour != 0) throw TargetError(format_minute(target_hour) + " is not on the hour");
    const auto lead = static_cast<int>((target_hour - stamp.last_hour) / kHour) + 1;
    if (lead > bundle.max_horizon())
        throw TargetError(fmt::format("{} is {} h after the last data hour {}; model version {} forecasts at most {} h ahead",
                                      format_minute(target_hour), lead - 1, format_minute(stamp.last_hour - kHour),
                                      bundle.version, bundle.max_horizon()));
    // A target at or before the last data hour (a backcast) is forecast one hour ahead of its own hour.
    const int used_lead = std::max(lead, 1);
    const Minute origin = target_hour - (used_lead - 1) * kHour;
    if (origin < stamp.first_hour)
        throw TargetError(fmt::format("{} is before the tenant's feature history (which starts at {})",
                                      format_minute(target_hour), format_minute(stamp.first_hour)));
    return {target_hour, used_lead, origin};
}

std::vector<Forecast> forecast(const ModelBundle& bundle, const std::vector<PlannedTarget>& plans,
                               const std::map<Minute, features::FeatureRow>& rows) {
    const auto width = static_cast<Eigen::Index>(bundle.features.size());
    std::vector<Forecast> out(plans.size());
    // Grouped by model (bucket of leads) so each predicts its rows in one call; results keep the order asked.
    for (const auto& h : bundle.horizons) {
        std::vector<std::size_t> members;
        for (std::size_t i = 0; i < plans.size(); ++i)
            if (bundle.for_lead(plans[i].lead) == &h) members.push_back(i);
        if (members.empty()) continue;
        models::Matrix X(static_cast<Eigen::Index>(members.size()), width);
        for (std::size_t k = 0; k < members.size(); ++k) {
            const auto& plan = plans[members[k]];
            const auto row = rows.find(plan.origin_hour);
            if (row == rows.end())
                throw TargetError(fmt::format("no feature row for hour {} (needed for target {}); the data has a gap there",
                                              format_minute(plan.origin_hour), format_minute(plan.target_hour)));
            models::fill_input(row->second, plan.target_hour, plan.lead, bundle.inputs,
                               X.row(static_cast<Eigen::Index>(k)).data());
            if (!bundle.family_info->accepts_missing)
                for (Eigen::Index c = 0; c < width; ++c)
                    if (std::isnan(X(static_cast<Eigen::Index>(k), c)))
                        throw TargetError(
                            fmt::format("input {} is missing for target {} (feature row {}); a {} model needs every input",
                                        bundle.features[static_cast<std::size_t>(c)].name, format_minute(plan.target_hour),
                                        format_minute(plan.origin_hour), bundle.family));
        }
        const models::Vector y = h.model->predict(X);
        for (std::size_t k = 0; k < members.size(); ++k) {
            const double* row = X.row(static_cast<Eigen::Index>(k)).data();
            const auto& plan = plans[members[k]];
            const double value = y[static_cast<Eigen::Index>(k)];
            out[members[k]] = {plan, value,
                               bundle.intervals.around(value, plan.lead, features::calendar_of(plan.target_hour).daypart,
                                                       models::ConformalIntervals::level_of(row)),
                               std::vector<double>(row, row + width)};
        }
    }
    return out;
}

}  // namespace voltedge::serving
