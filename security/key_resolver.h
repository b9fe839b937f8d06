#pragma once
// API key -> tenant. Keys are resolved through the narrow SECURITY DEFINER function resolve_api_key (by
// SHA-256, as the application role) and remembered for a short time so a hot path costs no database
// round trip; a revoked key stops working within that time (VOLTEDGE_KEY_CACHE_SECONDS, default 10).
#include <chrono>
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
    KeyResolver(db::ConnectionPool& pool, std::chrono::milliseconds ttl) : pool_(pool), ttl_(ttl) {}
    // nullopt for an unknown or revoked key. Throws Error when the database cannot be reached.
    std::optional<Principal> resolve(const std::string& secret);

private:
    using Clock = std::chrono::steady_clock;
    struct Entry {
        Principal principal;
        Clock::time_point expires;
    };
    db::ConnectionPool& pool_;
    std::chrono::milliseconds ttl_;
    std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> cache_;  // by key hash, never by the secret itself
};

}  // namespace voltedge::security
