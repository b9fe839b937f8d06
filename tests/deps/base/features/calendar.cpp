#include "features/calendar.h"
#include "core/log.h"
#include "db/pool.h"

namespace voltedge::features {
int day_kind(int day) { return detail::is_holiday(day) ? 1 : 0; }
}  // namespace voltedge::features
