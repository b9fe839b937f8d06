#pragma once
#include <string_view>

namespace voltedge {
void log_info(std::string_view event);
}  // namespace voltedge
