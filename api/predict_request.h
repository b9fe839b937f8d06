#pragma once
// The body of POST /predict, validated. Exactly one of:
//   {"horizon_hours": N}            the next N hours after the tenant's latest data (1..kMaxHorizonHours)
//   {"target_hour": "2010-11-27T08:00"}         one given hour
//   {"target_hours": ["2010-11-27T08:00", ...]} a batch of given hours (1..max_batch)
// Times are the meter's wall clock (no zone), "YYYY-MM-DDTHH:MM[:SS]" or with a space, on the hour.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/civil_time.h"
#include "serving/predictor.h"

namespace voltedge::api {

// Throws ApiError: 400 for a body that is not a JSON object, 422 naming the field for anything else.
serving::ForecastQuery parse_predict_request(std::string_view body, std::size_t max_batch);

// Parses one target hour; nullopt when malformed.
std::optional<Minute> parse_target_hour(std::string_view text);

}  // namespace voltedge::api
