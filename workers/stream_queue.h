#pragma once
// The job queue on Redis Streams. Each job kind has a stream (<prefix>:jobs:<kind>, bounded with MAXLEN ~) read by
// the consumer group "workers"; a worker acknowledges an entry only after its job has finished (late ack), so
// a worker that dies leaves its entry pending for another to claim (workers/worker.h). Retries wait in a sorted
// set (<prefix>:jobs:delayed, scored by when they are due); jobs out of attempts go to the dead-letter stream
// <prefix>:jobs:dead with their last error. What each job is and where it stands is the jobs table (jobs/job_store.h).
#include <chrono>
#include <mutex>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "db/pool.h"
#include "db/redis_client.h"
#include "jobs/job.h"

namespace voltedge::workers {

struct QueueOptions {
    std::string prefix = "voltedge";  // key prefix; tests use their own
    long max_len = 100'000;           // per stream, approximate: a job's record outlives its entry anyway
};

// One entry of a stream: which job, and for whom. The payload stays in the job's record.
struct Entry {
    std::string stream, entry_id;
    std::string job_id, tenant, kind, dedupe_key, traceparent;
};

struct StreamStats {
    std::string kind;
    long waiting = 0;  // added, not yet delivered to any worker
    long pending = 0;  // delivered, not yet acknowledged (running, or its worker died)
    double oldest_waiting_seconds = 0;
    double oldest_pending_seconds = 0;
};

struct DeadLetter {
    std::string entry_id, job_id, tenant, kind, error;
    int attempts = 0;
};

class StreamQueue : public jobs::Queue {
public:
    StreamQueue(db::ConnectionPool& pool, db::RedisClient& redis, const jobs::HandlerRegistry& handlers,
                QueueOptions options = {});

    // Records the job (or finds the active one with its dedupe key) and adds it to its kind's stream. Throws
    // FieldError for an unknown kind or tenant, Error when Redis cannot take it (the record is then failed).
    std::string enqueue(jobs::Job job) override;
    std::optional<jobs::JobStatus> status(const std::string& tenant, const std::string& id) const override;

    std::vector<StreamStats> stats();  // one per registered kind
    long delayed_count();
    long dead_count();
    std::vector<DeadLetter> dead_letters(int limit);
    // Queues a dead (or stranded queued) job again from its first attempt. False when the job is not the
    // tenant's, or is running, retrying or finished.
    bool retry(const std::string& tenant, const std::string& job_id);
    long purge_dead();  // empties the dead-letter stream; the jobs' records stay (state dead)

    // Workers say they are alive at every turn and during long jobs; live_workers counts those heard from
    // within `within` (make eval runs inline when there are none).
    void heartbeat(const std::string& worker);
    long live_workers(std::chrono::milliseconds within);

    const std::string& group() const { return group_; }
    std::string stream_key(const std::string& kind) const { return options_.prefix + ":jobs:" + kind; }
    std::string delayed_key() const { return options_.prefix + ":jobs:delayed"; }
    std::string dead_key() const { return options_.prefix + ":jobs:dead"; }
    const std::string& prefix() const { return options_.prefix; }
    const jobs::HandlerRegistry& handlers() const { return handlers_; }
    db::RedisClient& redis() { return redis_; }
    db::ConnectionPool& pool() { return pool_; }

    // XADD of an entry for the job (also used to re-add a due retry).
    void add(const Entry& entry);
    // Makes the kind's stream and consumer group (once per process, unless forget_groups() says Redis lost them).
    void ensure_group(const std::string& kind);
    void forget_groups();

private:
    db::ConnectionPool& pool_;
    db::RedisClient& redis_;
    const jobs::HandlerRegistry& handlers_;
    QueueOptions options_;
    std::string group_ = "workers";
    std::mutex groups_mutex_;
    std::set<std::string> groups_made_;  // kinds whose stream and group this process has made sure of
};

// The fields of an XREADGROUP / XAUTOCLAIM entry ([id, [field, value, ...]]).
Entry parse_entry(const std::string& stream, const db::RedisValue& entry);
// Milliseconds since the epoch in a stream id ("1700000000000-0").
long long stream_id_ms(const std::string& id);

}  // namespace voltedge::workers
