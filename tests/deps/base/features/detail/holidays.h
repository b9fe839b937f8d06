#pragma once
#include "core/log.h"

namespace voltedge::features::detail {
inline bool is_holiday(int day) { return day == 0; }
}  // namespace voltedge::features::detail
