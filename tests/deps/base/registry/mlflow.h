#pragma once
#include <string>

namespace voltedge::registry {
std::string champion();
}  // namespace voltedge::registry
