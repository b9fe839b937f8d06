#include "observability/metrics.h"

#include "core/log.h"

namespace voltedge::observability {
void count(const char* name) { log_info(name); }
}  // namespace voltedge::observability
