#pragma once
// Random (version 4) UUIDs: prediction, request and job ids.
#include <string>

namespace voltedge {

std::string new_uuid();
bool is_uuid(const std::string& s);

}  // namespace voltedge
