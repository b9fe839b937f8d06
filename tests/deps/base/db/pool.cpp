#include "db/pool.h"

#include <pqxx/pqxx>

#include "core/log.h"
#include "observability/metrics.h"
#include "vendor/thing.h"  // not an area: ignored

namespace voltedge::db {
std::string connect(const std::string& url) { return url; }
}  // namespace voltedge::db
