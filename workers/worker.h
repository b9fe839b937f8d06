#pragma once
// A worker: reads jobs from the streams of its kinds as one consumer of the group "workers", runs each with the
// same handler the command line runs inline, and acknowledges it only when it has finished. While a job runs
// the worker refreshes its claim on the entry (a heartbeat), so only an entry whose worker has been silent for
// the visibility timeout is reclaimed by another (XAUTOCLAIM): one killed with -9 loses nothing, and its job,
// idempotent, runs again to the same rows. A failed attempt waits exponentially longer with full jitter
// (a random delay in [0, min(cap, base * 2^(attempt-1))]), up to the kind's attempt limit; then the job goes
// to the dead-letter stream with its last error.
#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "observability/metrics.h"
#include "workers/schedule.h"
#include "workers/stream_queue.h"

namespace voltedge::workers {

struct WorkerOptions {
    std::string name;                // consumer name; empty: host:pid
    std::vector<std::string> kinds;  // empty: every registered kind
    std::chrono::milliseconds visibility_timeout{std::chrono::minutes(5)};
    std::chrono::milliseconds block{std::chrono::seconds(1)};  // XREADGROUP BLOCK: how often a loop comes round
    std::chrono::milliseconds backoff_base{std::chrono::seconds(2)}, backoff_cap{std::chrono::minutes(10)};
    std::chrono::milliseconds grace{std::chrono::seconds(30)};  // after stop, how long the current job may finish
    std::chrono::seconds progress_every{30};                    // "job_progress" log lines for long jobs
    std::vector<ScheduleEntry> schedule;
};

// What happened to the last entry run_once() looked at.
enum class Outcome { idle, succeeded, retrying, dead, skipped, handed_back };
std::string outcome_name(Outcome o);

class Worker {
public:
    Worker(StreamQueue& queue, observability::Registry& metrics, WorkerOptions options);

    // Loops until `stop` is set, then lets the current job finish within the grace period. Returns handed_back
    // when a job was still running at the end of it: its attempt is given back for another worker and its
    // thread is left running, so the caller must end the process.
    Outcome run(const std::atomic<bool>& stop);
    // One turn: due retries back into their streams, the schedule, one reclaimed or new entry run to the end.
    Outcome run_once(const std::atomic<bool>& stop);

    const std::string& name() const { return options_.name; }

private:
    struct Running;
    Outcome process(const Entry& entry, bool reclaimed, const std::atomic<bool>& stop);
    Outcome settle_failure(const Entry& entry, const jobs::JobStatus& job, const std::string& error, const std::string& hint,
                           double seconds);
    std::vector<std::pair<Entry, bool>> next_entries();
    long move_due_retries();
    std::chrono::milliseconds backoff(int attempt);

    StreamQueue& queue_;
    WorkerOptions options_;
    std::mt19937_64 rng_;
    observability::CounterFamily& jobs_total_;
    observability::CounterFamily& retries_total_;
    observability::HistogramFamily& duration_;
    std::chrono::steady_clock::time_point next_schedule_tick_{};
};

// Registers the queue gauges (depth, pending, oldest age per stream; delayed; dead letters) read at each
// scrape; they read nothing when Redis is down.
void register_queue_metrics(observability::Registry& metrics, StreamQueue& queue);

}  // namespace voltedge::workers
