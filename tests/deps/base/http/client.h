#pragma once
#include <string>

namespace voltedge::http {
std::string get(const std::string& url);
}  // namespace voltedge::http
