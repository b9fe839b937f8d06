#pragma once
// A fixed set of application-role connections shared by request threads. A lease is exclusive while held.
// Tenant context never lives on a connection (see with_tenant), so which request gets which connection
// does not matter.
//
// After a database restart every pooled connection is dead, but a client only finds out when it next uses
// one. So a lease first checks its connection without a round trip (an idle connection has nothing to read;
// if its socket is readable the server has closed it or said goodbye) and replaces it if so; and reads go
// through `read`, which runs them once more on a fresh connection if the connection broke under them anyway.
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
        // Closes the connection; the slot connects anew on its next lease.
        void discard() { pool_->slots_[slot_].reset(); }

    private:
        ConnectionPool* pool_;
        std::size_t slot_;
    };

    // Waits for a free connection; replaces it if it is closed or broken. Throws Error when the database is
    // unreachable (refused at once, or after the connect timeout of 2 s or the thread's deadline).
    Lease acquire();
    // A free connection without waiting, or none when every one is leased or others wait (a request that already
    // holds one must not wait for a second: two such requests could each hold what the other waits for).
    std::optional<Lease> try_acquire();

    // Runs the read-only fn(pqxx::connection&) and returns its result. When the connection breaks under it,
    // runs it once more on a new connection: a read is safe to repeat, a write that broke may have committed.
    template <class Fn>
    auto read(Fn&& fn) {
        for (int attempt = 1;; ++attempt) {
            Lease lease = acquire();
            try {
                return fn(*lease);
            } catch (const pqxx::broken_connection&) {
                lease.discard();
                if (attempt == 2) throw;
            }
        }
    }

    std::size_t size() const { return slots_.size(); }
    // How many connections were found broken and replaced (readiness and tests report it).
    std::size_t replaced() const;

private:
    // Waiters are served first come, first served: under load a plain condition variable lets some
    // requests wait for seconds while others overtake them.
    struct Waiter {
        std::condition_variable ready;
        std::optional<std::size_t> slot;
    };
    Lease ready(std::size_t slot);  // the slot's connection, replaced when closed or broken, connected when none
    void release(std::size_t slot);
    std::string url_;
    std::vector<std::unique_ptr<pqxx::connection>> slots_;
    std::vector<std::size_t> free_;
    std::deque<Waiter*> waiters_;
    std::size_t replaced_ = 0;
    mutable std::mutex mutex_;
};

}  // namespace voltedge::db
