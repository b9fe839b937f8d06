#pragma once
// The deadline of the work running on this thread (a request's, a background load's), so that database
// statements and outgoing HTTP calls made on its behalf give up when it does, without every signature in
// between carrying it. Set with ScopedDeadline; there is none by default.
#include <chrono>
#include <optional>

#include "core/error.h"

namespace voltedge {

using Deadline = std::chrono::steady_clock::time_point;

// The work ran out of time; callers answer "try again" (HTTP 503), never "you did something wrong".
class DeadlineExceeded : public Error {
public:
    using Error::Error;
};

// Sets this thread's deadline for its lifetime. Nested scopes keep the earlier deadline: an inner step
// cannot extend the time its caller has.
class ScopedDeadline {
public:
    explicit ScopedDeadline(Deadline deadline);
    ~ScopedDeadline();
    ScopedDeadline(const ScopedDeadline&) = delete;
    ScopedDeadline& operator=(const ScopedDeadline&) = delete;

private:
    std::optional<Deadline> previous_;
};

// Time left before this thread's deadline (zero or negative once passed); nullopt when there is none.
std::optional<std::chrono::milliseconds> time_left();

// Throws DeadlineExceeded naming `stage` when this thread's deadline has passed.
void check_deadline(const char* stage);

}  // namespace voltedge
