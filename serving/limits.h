#pragma once
// The hard limit of forecasting requests, defined once: validation, the Predictor and the OpenAPI document
// read it from here. (The batch size is a setting: VOLTEDGE_MAX_BATCH, core/config.h.)
namespace voltedge::serving {

inline constexpr int kMaxHorizonHours = 48;  // the furthest lead a forecast may have

}  // namespace voltedge::serving
