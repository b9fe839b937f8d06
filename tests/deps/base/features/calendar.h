#pragma once
#include "features/detail/holidays.h"

namespace voltedge::features {
int day_kind(int day);
}  // namespace voltedge::features
