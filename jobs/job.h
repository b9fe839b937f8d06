#pragma once
// Jobs: the unit of work the platform runs (ingest, features, train, promote; later index, eval, batch
// scoring, retrain). A subcommand runs a job inline; the workers put a queue in front of the same handlers.
// Handlers are registered where the binary is wired (cli/), so this area depends on none of them.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace voltedge::jobs {

struct Job {
    std::string kind, tenant;
    nlohmann::json payload = nlohmann::json::object();
    // Jobs with the same non-empty key are the same work: a queue runs one of them (workers issue).
    std::string dedupe_key;
    std::string id;  // assigned when submitted
};

// What a handler returns: its result as JSON, with a line for people under "summary".
using Handler = std::function<nlohmann::json(const Job&)>;

class HandlerRegistry {
public:
    // Throws std::logic_error if `kind` is registered twice.
    void add(const std::string& kind, const std::string& description, Handler handler);
    bool has(const std::string& kind) const { return handlers_.count(kind) > 0; }
    std::vector<std::pair<std::string, std::string>> kinds() const;  // kind, description
    // Runs the job's handler on this thread, with the job id in every log line it writes. Throws Error
    // for an unknown kind; a handler's own errors pass through.
    nlohmann::json run(Job job) const;

private:
    struct Entry {
        std::string description;
        Handler handler;
    };
    std::map<std::string, Entry> handlers_;
};

enum class JobState { queued, running, succeeded, failed };

struct JobStatus {
    Job job;
    JobState state = JobState::queued;
    nlohmann::json result;  // the handler's result, or {"error": ..., "hint": ...}
    int attempts = 0;
};

// Where jobs are submitted. InlineQueue runs them at once; the Redis Streams queue (workers issue)
// implements the same interface.
class Queue {
public:
    virtual ~Queue() = default;
    virtual std::string enqueue(Job job) = 0;  // returns the job id
    virtual std::optional<JobStatus> status(const std::string& id) const = 0;
};

// Runs each job on the caller's thread when it is enqueued; enqueue rethrows the handler's error after
// recording it. Keeps the statuses of the jobs it ran. Safe to share between threads.
class InlineQueue : public Queue {
public:
    explicit InlineQueue(const HandlerRegistry& handlers) : handlers_(handlers) {}
    std::string enqueue(Job job) override;
    std::optional<JobStatus> status(const std::string& id) const override;

private:
    void record(JobStatus status);
    const HandlerRegistry& handlers_;
    mutable std::mutex mutex_;
    std::map<std::string, JobStatus> statuses_;
};

std::string job_state_name(JobState state);

}  // namespace voltedge::jobs
