#include "core/log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>

namespace voltedge {

void log_event(std::string_view level, std::string_view event, nlohmann::json fields) {
    static std::mutex mutex;
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    nlohmann::json line = {{"ts", fmt::format("{:%FT%T}Z", now)}, {"level", level}, {"event", event}};
    line.update(fields);
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace voltedge
