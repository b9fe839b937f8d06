#include "workers/worker.h"

#include <fmt/format.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "jobs/job_store.h"

namespace voltedge::workers {
namespace {

using Clock = std::chrono::steady_clock;

std::string default_name() {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    return fmt::format("{}:{}", host, getpid());
}

long long now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const std::vector<double>& job_buckets() {
    static const std::vector<double> b{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600};
    return b;
}

// The sorted set of delayed retries holds the entry as JSON; this script moves every due one back into its
// stream in one step, so a worker dying half-way cannot lose a retry or add it twice.
constexpr const char* kMoveDue = R"lua(
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, m in ipairs(due) do
  redis.call('ZREM', KEYS[1], m)
  local e = cjson.decode(m)
  redis.call('XADD', ARGV[2] .. e.kind, 'MAXLEN', '~', ARGV[3], '*', 'job_id', e.job_id, 'tenant', e.tenant,
             'kind', e.kind, 'dedupe_key', e.dedupe_key, 'traceparent', e.traceparent)
end
return #due
)lua";

}  // namespace

std::string outcome_name(Outcome o) {
    switch (o) {
        case Outcome::idle: return "idle";
        case Outcome::succeeded: return "succeeded";
        case Outcome::retrying: return "retrying";
        case Outcome::dead: return "dead";
        case Outcome::skipped: return "skipped";
        case Outcome::handed_back: return "handed_back";
    }
    return "unknown";
}

// The handler's thread and what it produced; shared with the thread so a handed-back job can be left running.
struct Worker::Running {
    std::promise<nlohmann::json> result;
};

Worker::Worker(StreamQueue& queue, observability::Registry& metrics, WorkerOptions options)
    : queue_(queue),
      options_(std::move(options)),
      rng_(std::random_device{}()),
      jobs_total_(
          metrics.counter_family("voltedge_jobs_total", "Job attempts finished, by kind and outcome", {"kind", "outcome"})),
      retries_total_(metrics.counter_family("voltedge_job_retries_total", "Failed attempts scheduled to run again", {"kind"})),
      duration_(metrics.histogram_family("voltedge_job_duration_seconds", "Time from a job attempt's start to its end", {"kind"},
                                         job_buckets())) {
    if (options_.name.empty()) options_.name = default_name();
    if (options_.kinds.empty())
        for (const auto& [kind, description] : queue_.handlers().kinds()) options_.kinds.push_back(kind);
    for (const auto& kind : options_.kinds) {
        queue_.handlers().max_attempts(kind);  // an unknown kind is an error here, not a silent idle worker
        queue_.ensure_group(kind);
    }
}

std::chrono::milliseconds Worker::backoff(int attempt) {
    const double ceiling = std::min(static_cast<double>(options_.backoff_cap.count()),
                                    static_cast<double>(options_.backoff_base.count()) * std::pow(2.0, std::max(0, attempt - 1)));
    return std::chrono::milliseconds(static_cast<long long>(std::uniform_real_distribution<double>(0, ceiling)(rng_)));
}

long Worker::move_due_retries() {
    return static_cast<long>(queue_.redis()
                                 .command({"EVAL", kMoveDue, "1", queue_.delayed_key(), std::to_string(now_ms()),
                                           queue_.prefix() + ":jobs:", "100000"})
                                 .integer);
}

// Entries whose worker went silent first (XAUTOCLAIM), else new ones (XREADGROUP, blocking up to `block`).
std::vector<std::pair<Entry, bool>> Worker::next_entries() {
    for (const auto& kind : options_.kinds) queue_.ensure_group(kind);
    for (const auto& kind : options_.kinds) {
        const auto claimed = queue_.redis().command({"XAUTOCLAIM", queue_.stream_key(kind), queue_.group(), options_.name,
                                                     std::to_string(options_.visibility_timeout.count()), "0-0", "COUNT", "1"});
        if (claimed.elements.size() >= 2 && !claimed.elements[1].elements.empty()) {
            const auto& raw = claimed.elements[1].elements[0];
            if (raw.elements.size() >= 2 && raw.elements[1].type == db::RedisValue::Type::array)
                return {{parse_entry(queue_.stream_key(kind), raw), true}};
        }
    }
    std::vector<std::string> args{"XREADGROUP", "GROUP", queue_.group(), options_.name,
                                  "COUNT",      "1",     "BLOCK",        std::to_string(options_.block.count()),
                                  "STREAMS"};
    for (const auto& kind : options_.kinds) args.push_back(queue_.stream_key(kind));
    for (std::size_t i = 0; i < options_.kinds.size(); ++i) args.push_back(">");
    const auto reply = queue_.redis().command(args, options_.block + std::chrono::seconds(5));
    std::vector<std::pair<Entry, bool>> out;
    for (const auto& stream : reply.elements)
        if (stream.elements.size() >= 2)
            for (const auto& e : stream.elements[1].elements) out.push_back({parse_entry(stream.elements[0].str, e), false});
    return out;
}

Outcome Worker::run_once(const std::atomic<bool>& stop) {
    queue_.heartbeat(options_.name);
    move_due_retries();
    if (!options_.schedule.empty() && Clock::now() >= next_schedule_tick_) {
        next_schedule_tick_ = Clock::now() + std::chrono::seconds(1);
        run_due(queue_, options_.schedule, options_.name, now_ms() / 1000);
    }
    Outcome last = Outcome::idle;
    for (const auto& [entry, reclaimed] : next_entries()) last = process(entry, reclaimed, stop);
    return last;
}

Outcome Worker::run(const std::atomic<bool>& stop) {
    log_info("worker_started", {{"worker", options_.name}, {"kinds", options_.kinds}});
    auto pause = std::chrono::milliseconds(100);
    while (!stop) {
        try {
            if (run_once(stop) == Outcome::handed_back) return Outcome::handed_back;
            pause = std::chrono::milliseconds(100);
        } catch (const std::exception& e) {
            // Redis or Postgres away: say so, wait (doubling to 10 s), and go on; the queue is still there.
            log_event("error", "worker_loop_failed", {{"worker", options_.name}, {"error", e.what()}});
            // A Redis that restarted empty has no groups: make them again on the next turn.
            if (std::string(e.what()).find("NOGROUP") != std::string::npos) queue_.forget_groups();
            std::this_thread::sleep_for(pause);
            pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(10));
        }
    }
    log_info("worker_stopped", {{"worker", options_.name}});
    return Outcome::idle;
}

Outcome Worker::process(const Entry& entry, bool reclaimed, const std::atomic<bool>& stop) {
    const auto ack = [&] { queue_.redis().command({"XACK", entry.stream, queue_.group(), entry.entry_id}); };
    std::optional<jobs::JobStatus> job;
    try {
        auto lease = queue_.pool().acquire();
        job = jobs::start_attempt(*lease, entry.tenant, entry.job_id, options_.name, reclaimed);
    } catch (const db::TenantClosed& e) {
        // The tenant is being deleted (voltedge tenant delete): its queued work is dropped, not retried forever.
        log_info("job_dropped", {{"job_id", entry.job_id}, {"tenant", entry.tenant}, {"reason", e.what()}});
        ack();
        return Outcome::skipped;
    }
    if (!job) {
        // Finished already (a redelivery after the worker crashed between recording and acknowledging), or
        // started by another worker from a duplicate entry.
        ack();
        return Outcome::skipped;
    }
    log_info("job_attempt_started", {{"job_id", job->job.id},
                                     {"tenant", job->job.tenant},
                                     {"kind", job->job.kind},
                                     {"attempt", job->attempts},
                                     {"reclaimed", reclaimed},
                                     {"worker", options_.name}});

    auto running = std::make_shared<Running>();
    auto future = running->result.get_future();
    const jobs::HandlerRegistry& handlers = queue_.handlers();
    std::thread thread([running, &handlers, j = job->job]() mutable {
        try {
            running->result.set_value(handlers.run(std::move(j)));
        } catch (...) {
            running->result.set_exception(std::current_exception());
        }
    });

    const auto started = Clock::now();
    auto next_progress = started + options_.progress_every;
    std::optional<Clock::time_point> give_up_at;
    const auto heartbeat = std::max(std::chrono::milliseconds(100), options_.visibility_timeout / 3);
    while (future.wait_for(heartbeat) != std::future_status::ready) {
        try {  // the heartbeat: re-claiming our own entry resets its idle time
            queue_.redis().command({"XCLAIM", entry.stream, queue_.group(), options_.name, "0", entry.entry_id, "JUSTID"});
            queue_.heartbeat(options_.name);
        } catch (const std::exception& e) {
            log_event("warn", "job_heartbeat_failed", {{"job_id", job->job.id}, {"error", e.what()}});
        }
        if (Clock::now() >= next_progress) {
            next_progress += options_.progress_every;
            log_info("job_progress", {{"job_id", job->job.id},
                                      {"kind", job->job.kind},
                                      {"running_s", std::chrono::duration<double>(Clock::now() - started).count()}});
        }
        if (stop && !give_up_at) give_up_at = Clock::now() + options_.grace;
        if (give_up_at && Clock::now() >= *give_up_at) {
            // Out of grace: give the attempt back (it does not count) and make the entry claimable at once.
            auto lease = queue_.pool().acquire();
            jobs::finish_attempt(*lease, job->job.tenant, job->job.id, jobs::JobState::queued, nullptr,
                                 "handed back by a stopping worker", "");
            queue_.redis().command({"XCLAIM", entry.stream, queue_.group(), options_.name, "0", entry.entry_id, "IDLE",
                                    std::to_string(options_.visibility_timeout.count() + 1), "JUSTID"});
            jobs_total_.with({job->job.kind, "handed_back"}).inc();
            log_event("warn", "job_handed_back", {{"job_id", job->job.id}, {"kind", job->job.kind}});
            thread.detach();
            return Outcome::handed_back;
        }
    }
    thread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    duration_.with({job->job.kind}).observe(seconds);
    try {
        const nlohmann::json result = future.get();
        {
            auto lease = queue_.pool().acquire();
            jobs::finish_attempt(*lease, job->job.tenant, job->job.id, jobs::JobState::succeeded, result, "", "");
        }
        ack();  // after the record: a crash in between redelivers, and the finished record makes that a no-op
        jobs_total_.with({job->job.kind, "succeeded"}).inc();
        log_info("job_succeeded", {{"job_id", job->job.id}, {"kind", job->job.kind}, {"seconds", seconds}});
        return Outcome::succeeded;
    } catch (const Error& e) {
        return settle_failure(entry, *job, e.what(), e.hint(), seconds);
    } catch (const std::exception& e) {
        return settle_failure(entry, *job, e.what(), "", seconds);
    } catch (...) {  // not an exception type of ours: still a failed attempt, not a loop of redeliveries
        return settle_failure(entry, *job, "the handler failed with an unknown exception", "", seconds);
    }
}

Outcome Worker::settle_failure(const Entry& entry, const jobs::JobStatus& job, const std::string& error, const std::string& hint,
                               double seconds) {
    const bool again = job.attempts < job.max_attempts;
    const auto delay = again ? backoff(job.attempts) : std::chrono::milliseconds(0);
    {
        auto lease = queue_.pool().acquire();
        jobs::finish_attempt(*lease, job.job.tenant, job.job.id, again ? jobs::JobState::retrying : jobs::JobState::dead, nullptr,
                             error, hint, delay.count());
    }
    if (again) {
        const nlohmann::json member = {{"job_id", job.job.id},
                                       {"tenant", job.job.tenant},
                                       {"kind", job.job.kind},
                                       {"dedupe_key", job.job.dedupe_key},
                                       {"traceparent", job.job.traceparent},
                                       {"attempt", job.attempts}};
        queue_.redis().transaction({{"ZADD", queue_.delayed_key(), std::to_string(now_ms() + delay.count()), member.dump()},
                                    {"XACK", entry.stream, queue_.group(), entry.entry_id}});
        retries_total_.with({job.job.kind}).inc();
        jobs_total_.with({job.job.kind, "retrying"}).inc();
        log_event("warn", "job_attempt_failed",
                  {{"job_id", job.job.id},
                   {"kind", job.job.kind},
                   {"attempt", job.attempts},
                   {"retry_in_ms", delay.count()},
                   {"error", error},
                   {"seconds", seconds}});
        return Outcome::retrying;
    }
    queue_.redis().transaction({{"XADD", queue_.dead_key(), "*", "job_id", job.job.id, "tenant", job.job.tenant, "kind",
                                 job.job.kind, "attempts", std::to_string(job.attempts), "error", error},
                                {"XACK", entry.stream, queue_.group(), entry.entry_id}});
    jobs_total_.with({job.job.kind, "dead"}).inc();
    log_event("error", "job_dead_lettered",
              {{"job_id", job.job.id}, {"kind", job.job.kind}, {"attempts", job.attempts}, {"error", error}});
    return Outcome::dead;
}

void register_queue_metrics(observability::Registry& metrics, StreamQueue& queue) {
    // The four per-stream gauges of one scrape share one read of the streams (a second old at most).
    struct Snapshot {
        std::mutex mutex;
        std::chrono::steady_clock::time_point read_at{};
        std::vector<StreamStats> stats;
    };
    const auto snapshot = std::make_shared<Snapshot>();
    const auto per_stream = [&queue, snapshot](auto value) {
        return [&queue, snapshot, value]() {
            observability::GaugeSamples out;
            std::lock_guard lock(snapshot->mutex);
            try {
                if (Clock::now() - snapshot->read_at > std::chrono::seconds(1)) {
                    snapshot->stats = queue.stats();
                    snapshot->read_at = Clock::now();
                }
            } catch (const std::exception&) {
                return out;  // Redis cannot say: no samples rather than stale ones
            }
            for (const auto& s : snapshot->stats) out.push_back({{queue.stream_key(s.kind)}, value(s)});
            return out;
        };
    };
    metrics.gauge_callback("voltedge_queue_depth", "Jobs added to a stream and not yet delivered to a worker", {"stream"},
                           per_stream([](const StreamStats& s) { return static_cast<double>(s.waiting); }));
    metrics.gauge_callback("voltedge_queue_pending", "Jobs delivered to a worker and not yet acknowledged", {"stream"},
                           per_stream([](const StreamStats& s) { return static_cast<double>(s.pending); }));
    metrics.gauge_callback("voltedge_queue_oldest_waiting_age_seconds", "Age of the oldest job not yet delivered", {"stream"},
                           per_stream([](const StreamStats& s) { return s.oldest_waiting_seconds; }));
    metrics.gauge_callback("voltedge_queue_oldest_pending_age_seconds",
                           "Age of the oldest job delivered and not yet acknowledged", {"stream"},
                           per_stream([](const StreamStats& s) { return s.oldest_pending_seconds; }));
    // No sample rather than a zero when Redis cannot say: an empty dead-letter stream and an unknown one differ.
    const auto single = [](auto value) {
        return [value]() {
            observability::GaugeSamples out;
            try {
                out.push_back({{}, static_cast<double>(value())});
            } catch (const std::exception&) {
            }
            return out;
        };
    };
    metrics.gauge_callback("voltedge_queue_delayed", "Failed jobs waiting for their next attempt", {},
                           single([&queue] { return queue.delayed_count(); }));
    metrics.gauge_callback("voltedge_queue_dead_letters", "Jobs in the dead-letter stream", {},
                           single([&queue] { return queue.dead_count(); }));
}

}  // namespace voltedge::workers
