#pragma once
// The limits of forecasting requests, defined once: validation, the Predictor and the OpenAPI document read
// them from here.
#include <cstddef>

namespace voltedge::serving {

inline constexpr int kMaxHorizonHours = 48;           // the furthest lead a forecast may have
inline constexpr std::size_t kDefaultMaxBatch = 168;  // target hours per request (a week), configurable

}  // namespace voltedge::serving
