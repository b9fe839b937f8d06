#pragma once
// API key -> who is asking. Keys are resolved through the narrow SECURITY DEFINER function resolve_key (by
// SHA-256, as the application role) and remembered for a short time so a hot path costs no database
// round trip; a revoked key stops working within that time (VOLTEDGE_KEY_CACHE_SECONDS, default 10).
// While the database cannot be reached, a key it confirmed before keeps working for up to the stale
// grace (default 5 min), so a short outage does not stop cached forecasts; unknown keys are still refused.
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

enum class Scope {
    tenant,        // forecasts and explanations of its own tenant
    tenant_admin,  // ... and reloading its own tenant's model
    operator_,     // no tenant: reloads any tenant, reads /metrics and /readyz in detail
};

struct Principal {
    std::string tenant;  // empty for an operator
    std::string key_id;
    Scope scope = Scope::tenant;
};

class KeyResolver {
public:
    // At most `capacity` keys are remembered; past it the least recently used tenth is forgotten.
    KeyResolver(db::ConnectionPool& pool, std::chrono::milliseconds ttl, std::size_t capacity = 10'000,
                std::chrono::milliseconds stale_grace = std::chrono::minutes(5))
        : pool_(pool), ttl_(ttl), stale_grace_(stale_grace), capacity_(std::max<std::size_t>(capacity, 10)) {}
    // nullopt for an unknown or revoked key. Throws when the database cannot be reached and the key was not
    // confirmed within the stale grace.
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
    std::chrono::milliseconds ttl_, stale_grace_;
    std::size_t capacity_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> cache_;  // by key hash, never by the secret itself
};

}  // namespace voltedge::security
