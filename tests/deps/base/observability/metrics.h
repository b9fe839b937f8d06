#pragma once
namespace voltedge::observability {
void count(const char* name);
}  // namespace voltedge::observability
