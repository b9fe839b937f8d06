#include "db/pool.h"

#include "db/connection.h"

namespace voltedge::db {

ConnectionPool::ConnectionPool(std::string url, std::size_t size) : url_(std::move(url)), slots_(size) {
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
    Lease lease(*this, slot);  // returns the slot even if connecting throws
    auto& conn = slots_[slot];
    if (!conn || !conn->is_open()) {
        conn.reset();
        conn = connect_shared(url_);
    }
    return lease;
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
