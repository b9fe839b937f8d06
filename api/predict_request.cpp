#include "api/predict_request.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

#include "api/api_error.h"
#include "api/http_layer.h"
#include "serving/limits.h"

namespace voltedge::api {
namespace {
using Json = nlohmann::json;
constexpr const char* kTimeHint = "use the meter's wall clock, on the hour, e.g. \"2010-11-27T08:00\"";

Minute target_from_json(const Json& value, const std::string& field) {
    if (!value.is_string()) throw ApiError(422, field, field + " must be a string", kTimeHint);
    const auto hour = parse_target_hour(value.get<std::string>());
    if (!hour) throw ApiError(422, field, field + " is not a time: '" + value.get<std::string>() + "'", kTimeHint);
    if (*hour % 60 != 0)
        throw ApiError(422, field, field + " must be on the hour: '" + value.get<std::string>() + "'", kTimeHint);
    return *hour;
}
}  // namespace

std::optional<Minute> parse_target_hour(std::string_view text) {
    if (text.size() < 16 || text.size() > 19 || (text[10] != 'T' && text[10] != ' ')) return std::nullopt;
    std::string s(text);
    s[10] = ' ';
    return parse_minute(s);
}

serving::ForecastQuery parse_predict_request(std::string_view body, std::size_t max_batch) {
    const Json j = parse_json_body(body);
    if (j.is_discarded())
        throw ApiError(400, "body", "the request body is not valid JSON", "send a JSON object, e.g. {\"horizon_hours\": 24}");
    if (!j.is_object()) throw ApiError(400, "body", "the request body must be a JSON object", "e.g. {\"horizon_hours\": 24}");
    for (const auto& [key, value] : j.items())
        if (key != "horizon_hours" && key != "target_hour" && key != "target_hours")
            throw ApiError(422, key, "unknown field '" + key + "'", "known fields: horizon_hours, target_hour, target_hours");
    if (j.size() != 1)
        throw ApiError(422, j.empty() ? "body" : "horizon_hours",
                       j.empty() ? "the body names nothing to forecast"
                                 : "give exactly one of horizon_hours, target_hour, target_hours",
                       "e.g. {\"horizon_hours\": 24} or {\"target_hours\": [\"2010-11-27T08:00\"]}");
    serving::ForecastQuery request;
    request.field = j.begin().key();
    if (j.contains("horizon_hours")) {
        // An integer as JSON Schema (and the OpenAPI document) counts one: a number without a fractional part, so
        // 24.0 and 2.4e1 are 24. Compared as a double, exact for every whole number in range; the message quotes the
        // number as sent (a huge unsigned one must not read back as negative).
        const Json& h = j["horizon_hours"];
        if (!h.is_number() ||
            (h.is_number_float() && (!std::isfinite(h.get<double>()) || std::trunc(h.get<double>()) != h.get<double>())))
            throw ApiError(422, "horizon_hours", "horizon_hours must be an integer");
        const double n = h.get<double>();
        if (n < 1 || n > serving::kMaxHorizonHours)
            throw ApiError(422, "horizon_hours",
                           fmt::format("horizon_hours is {}; it must be 1..{}", h.dump(), serving::kMaxHorizonHours));
        request.horizon_hours = static_cast<int>(n);
    } else if (j.contains("target_hour")) {
        request.target_hours.push_back(target_from_json(j["target_hour"], "target_hour"));
    } else {
        const Json& list = j["target_hours"];
        if (!list.is_array()) throw ApiError(422, "target_hours", "target_hours must be an array of times", kTimeHint);
        if (list.empty()) throw ApiError(422, "target_hours", "target_hours is empty");
        if (list.size() > max_batch)
            throw ApiError(413, "target_hours",
                           fmt::format("target_hours has {} entries; at most {} per request", list.size(), max_batch),
                           "split the batch");
        for (std::size_t i = 0; i < list.size(); ++i)
            request.target_hours.push_back(target_from_json(list[i], fmt::format("target_hours[{}]", i)));
    }
    return request;
}

}  // namespace voltedge::api
