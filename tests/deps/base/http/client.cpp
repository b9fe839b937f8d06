#include "http/client.h"

#include "core/log.h"
#include "observability/metrics.h"

namespace voltedge::http {
std::string get(const std::string& url) { return url; }
}  // namespace voltedge::http
