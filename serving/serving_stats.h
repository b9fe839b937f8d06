#pragma once
// What the API served, per tenant, model version and minute: requests, server errors and a latency histogram,
// kept in memory and added to serving_minutes (db/migrations/015) every few seconds, so a request pays a map
// update and `voltedge slo check` and the canary controller can judge a version over any window.
#include <array>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "db/pool.h"

namespace voltedge::serving {

// Upper bounds of the latency buckets, in milliseconds (a last bucket holds the rest).
inline constexpr std::array<double, 14> kLatencyBoundsMs = {1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000};

// The q-quantile (0..1) of the latencies counted in `buckets` (per bucket, not cumulative; one more than the
// bounds): the upper bound of the bucket holding it, or the last bound for the overflow bucket. 0 when empty.
double latency_quantile_ms(const std::vector<long long>& buckets, double q);

class ServingStats {
public:
    // Flushes every `every` on its own thread (none when `every` is zero: tests flush by hand).
    explicit ServingStats(db::ConnectionPool& pool, std::chrono::milliseconds every = std::chrono::seconds(5));
    ~ServingStats();  // flushes what is left
    ServingStats(const ServingStats&) = delete;
    ServingStats& operator=(const ServingStats&) = delete;

    void record(const std::string& tenant, const std::string& version, double latency_ms, bool error);
    // Adds what was recorded to serving_minutes; on a database error keeps it for the next flush.
    void flush();

private:
    struct Counts {
        long long requests = 0, errors = 0;
        double latency_sum_ms = 0;
        std::vector<long long> buckets = std::vector<long long>(kLatencyBoundsMs.size() + 1, 0);
    };
    using Key = std::tuple<std::string, std::string, long long>;  // tenant, version, minute (s since epoch)

    db::ConnectionPool& pool_;
    std::mutex mutex_;
    std::map<Key, Counts> pending_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread flusher_;
};

}  // namespace voltedge::serving
