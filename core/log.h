#pragma once
// Structured logs: one JSON object per line on stderr, so stdout stays free for command output.
#include <nlohmann/json.hpp>
#include <string_view>

namespace voltedge {

void log_event(std::string_view level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
inline void log_info(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log_event("info", event, std::move(fields));
}

}  // namespace voltedge
