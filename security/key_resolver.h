#pragma once
// API key -> tenant. Keys are resolved through the narrow SECURITY DEFINER function resolve_api_key (by
// SHA-256, as the application role) and remembered for a short time so a hot path costs no database
// round trip; a revoked key stops working within that time (VOLTEDGE_KEY_CACHE_SECONDS, default 10).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "db/pool.h"

namespace voltedge::security {

struct Principal {
    std::string tenant, key_id;
    bool is_admin = false;
};

class KeyResolver {
public:
    // At most `capacity` keys are remembered; past it the least recently used tenth is forgotten.
    KeyResolver(db::ConnectionPool& pool, std::chrono::milliseconds ttl, std::size_t capacity = 10'000)
        : pool_(pool), ttl_(ttl), capacity_(std::max<std::size_t>(capacity, 10)) {}
    // nullopt for an unknown or revoked key. Throws Error when the database cannot be reached.
    std::optional<Principal> resolve(const std::string& secret);
    std::size_t cached() const;

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        Principal principal;
        Clock::time_point expires;
        // Read under the shared lock, so hits stay concurrent; only eviction compares them.
        std::unique_ptr<std::atomic<Clock::rep>> last_used;
    };
    void remember(const std::string& hash, const Principal& p, Clock::time_point now);
    db::ConnectionPool& pool_;
    std::chrono::milliseconds ttl_;
    std::size_t capacity_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> cache_;  // by key hash, never by the secret itself
};

}  // namespace voltedge::security
