// `make bench`, queue part: jobs through the Redis Streams queue (workers/) with a handler that does nothing, so
// what is measured is the queue itself: the job record in Postgres, XADD, XREADGROUP, the attempt's start and
// end in Postgres, XACK. Prints jobs per second with 1 and 2 workers (threads of this process, each its own
// consumer) and the enqueue-to-start latency p50/p99 of the jobs (from enqueue returning to the handler
// starting), measured as a steady trickle (so it is not queueing behind a burst) and as a burst.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "core/config.h"
#include "core/uuid.h"
#include "observability/metrics.h"
#include "security/tenants.h"
#include "workers/worker.h"

using namespace voltedge;
using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
    std::mutex mutex;
    std::map<std::string, Clock::time_point> queued, started;
};

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Result {
    double jobs_per_second, p50_ms, p99_ms;
};

Result run(const Config& config, const std::string& tenant, int workers, int jobs, std::chrono::milliseconds gap) {
    Timing timing;
    jobs::HandlerRegistry handlers;
    handlers.add("noop", "does nothing", [&](const jobs::Job& j) -> nlohmann::json {
        std::lock_guard lock(timing.mutex);
        timing.started[j.id] = Clock::now();
        return {};
    });
    db::ConnectionPool pool(config.database_url, 2 + 2 * static_cast<std::size_t>(workers));
    db::RedisClient redis(config.redis_url, 2 + 2 * static_cast<std::size_t>(workers));
    const std::string prefix = "bench-" + new_uuid().substr(0, 8);
    workers::StreamQueue queue(pool, redis, handlers, {prefix});
    observability::Registry metrics;
    std::atomic<bool> stop{false};
    std::vector<std::unique_ptr<workers::Worker>> pool_of_workers;
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
        workers::WorkerOptions o;
        o.name = fmt::format("bench-{}", w);
        o.block = std::chrono::milliseconds(100);
        pool_of_workers.push_back(std::make_unique<workers::Worker>(queue, metrics, o));
        threads.emplace_back([&, w] { pool_of_workers[w]->run(stop); });
    }
    const auto t0 = Clock::now();
    for (int i = 0; i < jobs; ++i) {
        const std::string id = queue.enqueue({"noop", tenant});
        {
            std::lock_guard lock(timing.mutex);
            timing.queued[id] = Clock::now();
        }
        if (gap.count() > 0) std::this_thread::sleep_for(gap);
    }
    for (;;) {
        {
            std::lock_guard lock(timing.mutex);
            if (timing.started.size() >= static_cast<std::size_t>(jobs)) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // Until the last job is recorded as done (its end, the XACK) as well as started.
    while (queue.stats().front().pending > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    stop = true;
    for (auto& t : threads) t.join();
    std::vector<double> latency;
    for (const auto& [id, at] : timing.queued)
        if (const auto s = timing.started.find(id); s != timing.started.end())
            latency.push_back(std::max(0.0, std::chrono::duration<double, std::milli>(s->second - at).count()));
    redis.command({"DEL", queue.stream_key("noop"), queue.delayed_key(), queue.dead_key(), prefix + ":workers"});
    return {jobs / seconds, percentile(latency, 0.5), percentile(latency, 0.99)};
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Jobs through the Redis Streams queue with a no-op handler"};
    int jobs = 2000;
    std::string tenant = "bench-queue";
    app.add_option("--jobs", jobs, "jobs per burst")->capture_default_str();
    app.add_option("--tenant", tenant, "tenant the jobs belong to (created when missing)")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const Config config = Config::load();
    security::create_tenant(config.database_admin_url, tenant, "bench");  // false when it exists
    fmt::print("queue_bench: {} no-op jobs per burst through Redis Streams + the jobs table (2 cores, shared)\n", jobs);
    for (int workers : {1, 2}) {
        const auto burst = run(config, tenant, workers, jobs, std::chrono::milliseconds(0));
        fmt::print(
            "  burst,   {} worker(s): {:7.0f} jobs/s  (enqueue->start p50 {:.1f} ms, p99 {:.1f} ms: queued behind the burst)\n",
            workers, burst.jobs_per_second, burst.p50_ms, burst.p99_ms);
    }
    const auto trickle = run(config, tenant, 1, 300, std::chrono::milliseconds(10));
    fmt::print("  trickle, 1 worker, a job every 10 ms: enqueue->start p50 {:.2f} ms, p99 {:.2f} ms\n", trickle.p50_ms,
               trickle.p99_ms);
    return 0;
}
