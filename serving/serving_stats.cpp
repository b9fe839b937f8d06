#include "serving/serving_stats.h"

#include <algorithm>
#include <chrono>

#include "core/log.h"
#include "db/connection.h"

namespace voltedge::serving {
namespace {

std::string array_literal(const std::vector<long long>& v) {
    std::string out = "{";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + std::to_string(v[i]);
    return out + "}";
}

}  // namespace

double latency_quantile_ms(const std::vector<long long>& buckets, double q) {
    long long total = 0;
    for (auto c : buckets) total += c;
    if (total == 0) return 0;
    const double rank = q * static_cast<double>(total);
    long long seen = 0;
    for (std::size_t i = 0; i < buckets.size(); ++i) {
        seen += buckets[i];
        if (static_cast<double>(seen) >= rank && buckets[i] > 0)
            return kLatencyBoundsMs[std::min(i, kLatencyBoundsMs.size() - 1)];
    }
    return kLatencyBoundsMs.back();
}

ServingStats::ServingStats(db::ConnectionPool& pool, std::chrono::milliseconds every) : pool_(pool) {
    if (every.count() == 0) return;
    flusher_ = std::thread([this, every] {
        std::unique_lock lock(mutex_);
        while (!stopping_) {
            wake_.wait_for(lock, every, [this] { return stopping_; });
            lock.unlock();
            flush();
            lock.lock();
        }
    });
}

ServingStats::~ServingStats() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    flush();
}

void ServingStats::record(const std::string& tenant, const std::string& version, double latency_ms, bool error) {
    const long long minute =
        std::chrono::duration_cast<std::chrono::minutes>(std::chrono::system_clock::now().time_since_epoch()).count() * 60;
    const auto bucket = static_cast<std::size_t>(std::lower_bound(kLatencyBoundsMs.begin(), kLatencyBoundsMs.end(), latency_ms) -
                                                 kLatencyBoundsMs.begin());
    std::lock_guard lock(mutex_);
    Counts& c = pending_[{tenant, version, minute}];
    ++c.requests;
    c.errors += error;
    c.latency_sum_ms += latency_ms;
    ++c.buckets[bucket];
}

void ServingStats::flush() {
    std::map<Key, Counts> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(pending_);
    }
    if (batch.empty()) return;
    std::map<Key, Counts> failed;
    for (auto& [key, c] : batch) {
        const auto& [tenant, version, minute] = key;
        try {
            auto lease = pool_.acquire();
            db::with_tenant(*lease, tenant, [&](pqxx::work& tx) {
                tx.exec_params(
                    "INSERT INTO serving_minutes (tenant_id, model_version, minute, requests, errors, latency_sum_ms, latency_buckets) "
                    "VALUES ($1, $2, to_timestamp($3), $4, $5, $6, $7::bigint[]) "
                    "ON CONFLICT (tenant_id, model_version, minute) DO UPDATE SET "
                    "requests = serving_minutes.requests + EXCLUDED.requests, errors = serving_minutes.errors + EXCLUDED.errors, "
                    "latency_sum_ms = serving_minutes.latency_sum_ms + EXCLUDED.latency_sum_ms, "
                    "latency_buckets = (SELECT array_agg(a + b ORDER BY i) FROM unnest(serving_minutes.latency_buckets, "
                    "EXCLUDED.latency_buckets) WITH ORDINALITY AS t(a, b, i))",
                    tenant, version, minute, c.requests, c.errors, c.latency_sum_ms, array_literal(c.buckets));
            });
        } catch (const std::exception& e) {
            log_event("warn", "serving_stats_flush_failed", {{"tenant", tenant}, {"error", e.what()}});
            failed.emplace(key, std::move(c));
        }
    }
    if (failed.empty()) return;
    // Kept for the next flush, merged with what arrived meanwhile; an hour's worth at most, so an outage that
    // lasts cannot grow memory without bound.
    std::lock_guard lock(mutex_);
    for (auto& [key, c] : failed) {
        if (pending_.size() > 60 * 1000) break;
        Counts& into = pending_[key];
        into.requests += c.requests;
        into.errors += c.errors;
        into.latency_sum_ms += c.latency_sum_ms;
        for (std::size_t i = 0; i < into.buckets.size(); ++i) into.buckets[i] += c.buckets[i];
    }
}

}  // namespace voltedge::serving
