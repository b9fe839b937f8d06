#pragma once
// A fixed set of application-role connections shared by request threads. A lease is exclusive while held;
// a connection that broke is replaced on its next lease. Tenant context never lives on a connection (see
// with_tenant), so which request gets which connection does not matter.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::db {

class ConnectionPool {
public:
    ConnectionPool(std::string url, std::size_t size);

    class Lease {
    public:
        Lease(ConnectionPool& pool, std::size_t slot) : pool_(&pool), slot_(slot) {}
        Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), slot_(o.slot_) {}
        ~Lease() {
            if (pool_) pool_->release(slot_);
        }
        pqxx::connection& operator*() const { return *pool_->slots_[slot_]; }
        pqxx::connection* operator->() const { return pool_->slots_[slot_].get(); }

    private:
        ConnectionPool* pool_;
        std::size_t slot_;
    };

    // Waits for a free connection; (re)connects it if needed. Throws Error when the database is unreachable.
    Lease acquire();
    std::size_t size() const { return slots_.size(); }

private:
    // Waiters are served first come, first served: under load a plain condition variable lets some
    // requests wait for seconds while others overtake them.
    struct Waiter {
        std::condition_variable ready;
        std::optional<std::size_t> slot;
    };
    void release(std::size_t slot);
    std::string url_;
    std::vector<std::unique_ptr<pqxx::connection>> slots_;
    std::vector<std::size_t> free_;
    std::deque<Waiter*> waiters_;
    std::mutex mutex_;
};

}  // namespace voltedge::db
