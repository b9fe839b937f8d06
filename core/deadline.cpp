#include "core/deadline.h"

#include <algorithm>
#include <string>

namespace voltedge {
namespace {
thread_local std::optional<Deadline> current;
}

ScopedDeadline::ScopedDeadline(Deadline deadline) : previous_(current) {
    if (deadline == Deadline::max()) return;  // "no deadline": keep the caller's, if any
    current = previous_ ? std::min(*previous_, deadline) : deadline;
}

ScopedDeadline::~ScopedDeadline() { current = previous_; }

std::optional<std::chrono::milliseconds> time_left() {
    if (!current) return std::nullopt;
    return std::chrono::duration_cast<std::chrono::milliseconds>(*current - std::chrono::steady_clock::now());
}

void check_deadline(const char* stage) {
    if (const auto left = time_left(); left && left->count() <= 0)
        throw DeadlineExceeded(std::string("the request ran out of time (") + stage + ")",
                               "retry; if it keeps happening, ask for fewer hours per request");
}

}  // namespace voltedge
