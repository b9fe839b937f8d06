#include "core/log.h"

#include <cstdio>

#include "log.h"  // same-folder include: not an area
// #include "db/pool.h"  a commented include is not an include

namespace voltedge {
void log_info(std::string_view event) { std::fprintf(stderr, "%.*s\n", int(event.size()), event.data()); }
}  // namespace voltedge
