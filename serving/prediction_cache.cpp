#include "serving/prediction_cache.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "observability/metrics.h"

namespace voltedge::serving {

namespace {
observability::CounterFamily& hits() {
    return observability::metrics().counter_family("voltedge_prediction_cache_hits_total",
                                                   "Predictions answered from a cache, by layer.", {"layer"});
}
}  // namespace

PredictionCache::PredictionCache(std::shared_ptr<db::RedisClient> redis, std::size_t max_entries_per_tenant,
                                 int redis_ttl_seconds)
    : redis_(std::move(redis)),
      max_entries_(max_entries_per_tenant),
      redis_ttl_(redis_ttl_seconds),
      memory_hits_(hits().with({"memory"})),
      redis_hits_(hits().with({"redis"})),
      misses_(observability::metrics().counter("voltedge_prediction_cache_misses_total",
                                               "Predictions computed because no cache had them.")) {}

std::string PredictionCache::tenant_key_prefix(const std::string& tenant) { return "voltedge:prediction:" + tenant + ":"; }

std::string PredictionCache::key(const CacheScope& scope, Minute target_hour) {
    return fmt::format("{}{}:{}:{}", tenant_key_prefix(scope.tenant), scope.model_version, scope.feature_build, target_hour);
}

std::vector<PredictionCache::Lookup> PredictionCache::get(const CacheScope& scope, const std::vector<Minute>& target_hours) {
    std::vector<Lookup> out(target_hours.size());
    std::vector<std::string> keys;
    std::vector<std::size_t> remote;  // indexes still missing after the in-process layer
    {
        std::shared_lock lock(mutex_);
        const auto tenant = memory_.find(scope.tenant);
        for (std::size_t i = 0; i < target_hours.size(); ++i) {
            std::string k = key(scope, target_hours[i]);
            if (tenant != memory_.end())
                if (auto it = tenant->second.find(k); it != tenant->second.end()) {
                    out[i] = {it->second, Source::memory};
                    continue;
                }
            keys.push_back(std::move(k));
            remote.push_back(i);
        }
    }
    if (redis_ && !remote.empty()) {
        const auto values = redis_->mget(keys);
        for (std::size_t j = 0; j < remote.size(); ++j) {
            if (!values[j]) continue;
            const auto v = nlohmann::json::parse(*values[j], nullptr, false);
            if (v.is_discarded()) continue;  // not ours or truncated: treat as a miss and overwrite
            CachedPrediction p{v.value("id", ""), target_hours[remote[j]], v.value("horizon", 0), v.value("value_kw", 0.0), {}};
            if (const auto iv = v.find("interval"); iv != v.end() && iv->is_array() && iv->size() == 4)
                p.interval = models::Interval{(*iv)[0], (*iv)[1], (*iv)[2], (*iv)[3]};
            put_memory(scope.tenant, keys[j], p);
            out[remote[j]] = {std::move(p), Source::redis};
        }
    }
    for (const auto& l : out) {
        if (l.source == Source::memory)
            memory_hits_.inc();
        else if (l.source == Source::redis)
            redis_hits_.inc();
        else
            misses_.inc();
    }
    return out;
}

void PredictionCache::put(const CacheScope& scope, const std::vector<CachedPrediction>& predictions) {
    std::vector<std::pair<std::string, std::string>> items;
    for (const auto& p : predictions) {
        std::string k = key(scope, p.target_hour);
        put_memory(scope.tenant, k, p);
        nlohmann::json v{{"id", p.id}, {"horizon", p.horizon}, {"value_kw", p.value_kw}};
        if (p.interval) v["interval"] = {p.interval->lower_80, p.interval->upper_80, p.interval->lower_95, p.interval->upper_95};
        items.emplace_back(std::move(k), v.dump());
    }
    if (redis_) redis_->set_all(items, redis_ttl_);
}

void PredictionCache::put_memory(const std::string& tenant, const std::string& key, const CachedPrediction& p) {
    std::unique_lock lock(mutex_);
    auto& entries = memory_[tenant];
    if (entries.size() >= max_entries_) entries.clear();  // bounded memory; the next requests refill it
    entries[key] = p;
}

void PredictionCache::drop_tenant(const std::string& tenant) {
    std::unique_lock lock(mutex_);
    memory_.erase(tenant);
}

}  // namespace voltedge::serving
