#pragma once
#include <string>

namespace voltedge::db {
std::string connect(const std::string& url);
}  // namespace voltedge::db
