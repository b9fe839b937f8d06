#pragma once
// Turning "forecast these hours" into model inputs and values, for one tenant and one model bundle.
//
// Forecasts start at the trailing feature row (the first hour without data, stamp.last_hour). A target T
// that is `lead` = T - last_hour + 1 hours ahead reads that row (everything known at the origin) with the
// lead as an input, through the model whose bucket of leads holds it, as in training. Targets at or before
// the last data hour (backcasts) are forecast at lead 1 from their own hour's row. Each forecast keeps the
// exact inputs it used, for /explain.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "features/feature_store.h"
#include "models/bundle.h"

namespace voltedge::serving {

using models::ModelBundle;

struct PlannedTarget {
    Minute target_hour = 0;
    int lead = 0;            // hours ahead of the data the forecast used (data up to target_hour - lead)
    Minute origin_hour = 0;  // feature row the inputs come from: target_hour - lead + 1
};

// Why a target cannot be forecast, in words a client can act on (the API turns it into a 422).
class TargetError : public Error {
public:
    using Error::Error;
};

// The next `count` hours after the last data.
std::vector<Minute> next_hours(const features::FeatureStamp& stamp, int count);

// Throws TargetError when the target is not on the hour, too far ahead for the bundle, or has no feature
// row to start from.
PlannedTarget plan_target(const ModelBundle& bundle, const features::FeatureStamp& stamp, Minute target_hour);

struct Forecast {
    PlannedTarget plan;
    double value_kw = 0;
    std::optional<models::Interval> interval;  // from the bundle's calibration, when it has one for this lead
    std::vector<double> inputs;
};

// `rows` must hold the origin row of every plan. Throws TargetError when an origin row lacks a value the
// model family cannot do without (tree models take missing values; the others do not).
std::vector<Forecast> forecast(const ModelBundle& bundle, const std::vector<PlannedTarget>& plans,
                               const std::map<Minute, features::FeatureRow>& rows);

}  // namespace voltedge::serving
