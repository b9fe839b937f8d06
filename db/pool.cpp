#include "db/pool.h"

#include <poll.h>

#include <algorithm>

#include "core/deadline.h"
#include "db/connection.h"

namespace voltedge::db {
namespace {

// An idle connection has nothing to read: a readable socket means the server closed it (restart, idle
// kill) or sent its last words before doing so. One poll() call, no round trip.
bool usable(const pqxx::connection& conn) {
    if (!conn.is_open()) return false;
    pollfd p{conn.sock(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

// libpq waits for an unreachable host as long as the OS does (minutes); a pool serving requests gives up
// after 2 s (libpq's minimum) unless the URL says otherwise.
std::string with_connect_timeout(std::string url) {
    if (url.find("connect_timeout") != std::string::npos) return url;
    const bool is_uri = url.rfind("postgres", 0) == 0 && url.find("://") != std::string::npos;
    if (!is_uri) return url + " connect_timeout=2";
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=2";
}

}  // namespace

ConnectionPool::ConnectionPool(std::string url, std::size_t size) : url_(with_connect_timeout(std::move(url))), slots_(size) {
    for (std::size_t i = size; i > 0; --i) free_.push_back(i - 1);
}

ConnectionPool::Lease ConnectionPool::acquire() {
    std::size_t slot;
    {
        std::unique_lock lock(mutex_);
        if (!free_.empty() && waiters_.empty()) {
            slot = free_.back();
            free_.pop_back();
        } else {
            Waiter me;
            waiters_.push_back(&me);
            me.ready.wait(lock, [&] { return me.slot.has_value(); });
            slot = *me.slot;
        }
    }
    return ready(slot);
}

std::optional<ConnectionPool::Lease> ConnectionPool::try_acquire() {
    std::size_t slot;
    {
        std::lock_guard lock(mutex_);
        if (free_.empty() || !waiters_.empty()) return std::nullopt;
        slot = free_.back();
        free_.pop_back();
    }
    return ready(slot);
}

ConnectionPool::Lease ConnectionPool::ready(std::size_t slot) {
    Lease lease(*this, slot);  // returns the slot even if connecting throws
    auto& conn = slots_[slot];
    if (conn && !usable(*conn)) {
        conn.reset();
        std::lock_guard lock(mutex_);
        ++replaced_;
    }
    if (!conn) {
        check_deadline("waiting for a database connection");
        conn = connect_shared(url_);
    }
    return lease;
}

std::size_t ConnectionPool::replaced() const {
    std::lock_guard lock(mutex_);
    return replaced_;
}

void ConnectionPool::release(std::size_t slot) {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) {
        free_.push_back(slot);
        return;
    }
    Waiter* next = waiters_.front();  // hand the connection straight to the longest waiter
    waiters_.pop_front();
    next->slot = slot;
    next->ready.notify_one();
}

}  // namespace voltedge::db
