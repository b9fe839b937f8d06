#pragma once
// Served predictions, cached in process and in Redis (shared by every API process), keyed by tenant, model
// version, feature build and target hour. A new feature build (new data) or a new model version changes the
// key, so stale entries are never read; they age out of Redis by TTL, and the in-process copy of a tenant
// is dropped at once when its data changes.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/civil_time.h"
#include "db/redis_client.h"
#include "models/intervals.h"
#include "observability/metrics.h"

namespace voltedge::serving {

struct CachedPrediction {
    std::string id;
    Minute target_hour = 0;
    int horizon = 0;
    double value_kw = 0;
    std::optional<models::Interval> interval;
};

struct CacheScope {
    std::string tenant, model_version;
    std::int64_t feature_build = 0;
};

class PredictionCache {
public:
    // redis may be null (no shared layer).
    PredictionCache(std::shared_ptr<db::RedisClient> redis, std::size_t max_entries_per_tenant, int redis_ttl_seconds);

    enum class Source { memory, redis, miss };
    struct Lookup {
        std::optional<CachedPrediction> value;
        Source source = Source::miss;
    };
    std::vector<Lookup> get(const CacheScope& scope, const std::vector<Minute>& target_hours);
    void put(const CacheScope& scope, const std::vector<CachedPrediction>& predictions);
    void drop_tenant(const std::string& tenant);  // the tenant's in-process entries
    // Every Redis key of the tenant's entries starts with this (tenant ids have no ':'); offboarding deletes by it.
    static std::string tenant_key_prefix(const std::string& tenant);

private:
    static std::string key(const CacheScope& scope, Minute target_hour);
    void put_memory(const std::string& tenant, const std::string& key, const CachedPrediction& p);

    std::shared_ptr<db::RedisClient> redis_;
    std::size_t max_entries_;
    int redis_ttl_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::unordered_map<std::string, CachedPrediction>> memory_;  // tenant -> key -> value
    // Process-wide totals in the metrics registry (voltedge_prediction_cache_{hits,misses}_total).
    observability::Counter& memory_hits_;
    observability::Counter& redis_hits_;
    observability::Counter& misses_;
};

}  // namespace voltedge::serving
