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

#include "core/error.h"

namespace voltedge::jobs {

struct Job {
    Job() = default;
    Job(std::string kind, std::string tenant, nlohmann::json payload = nlohmann::json::object(), std::string dedupe_key = {})
        : kind(std::move(kind)), tenant(std::move(tenant)), payload(std::move(payload)), dedupe_key(std::move(dedupe_key)) {}

    std::string kind, tenant;
    nlohmann::json payload = nlohmann::json::object();
    // Jobs with the same non-empty key are the same work: while one is queued or running, submitting another
    // returns the first.
    std::string dedupe_key;
    std::string id;           // assigned when submitted
    std::string traceparent;  // W3C trace context of whoever submitted it, carried into the handler's logs
};

// A payload field by name and type, `fallback` when absent. Throws Error naming the job kind, the field and the
// value of the wrong type, so a malformed job fails with what to fix.
template <class T>
T payload_field(const Job& job, const char* name, T fallback) {
    if (!job.payload.contains(name)) return fallback;
    try {
        return job.payload.at(name).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error("job " + job.kind + ": payload field '" + name + "' has the wrong type (" + job.payload.at(name).dump() +
                    ")");
    }
}

// What a handler returns: its result as JSON, with a line for people under "summary".
using Handler = std::function<nlohmann::json(const Job&)>;

class HandlerRegistry {
public:
    // `max_attempts`: how many times a queue runs a job of this kind before it gives up (dead-letters it).
    // Throws std::logic_error if `kind` is registered twice.
    void add(const std::string& kind, const std::string& description, Handler handler, int max_attempts = 3);
    int max_attempts(const std::string& kind) const;  // throws like run() for an unknown kind
    bool has(const std::string& kind) const { return handlers_.count(kind) > 0; }
    std::vector<std::pair<std::string, std::string>> kinds() const;  // kind, description
    // Runs the job's handler on this thread, with the job id in every log line it writes. Throws Error
    // for an unknown kind; a handler's own errors pass through.
    nlohmann::json run(Job job) const;

private:
    struct Entry {
        std::string description;
        Handler handler;
        int max_attempts;
    };
    const Entry& entry(const std::string& kind) const;
    std::map<std::string, Entry> handlers_;
};

// retrying: an attempt failed and another is due; dead: the last allowed attempt failed (dead-letter stream);
// failed: an inline run failed (nothing retries it).
enum class JobState { queued, running, retrying, succeeded, failed, dead };

struct JobStatus {
    Job job;
    JobState state = JobState::queued;
    nlohmann::json result;  // the handler's result (null until it succeeds)
    int attempts = 0, max_attempts = 1;
    std::string error, hint;                                           // the last failed attempt's
    std::string worker;                                                // who ran the last attempt
    std::string created_at, started_at, finished_at, next_attempt_at;  // ISO 8601 UTC, empty when not yet
};

// Where jobs are submitted. InlineQueue runs them at once; workers/ puts Redis Streams in front of the same
// handlers.
class Queue {
public:
    virtual ~Queue() = default;
    virtual std::string enqueue(Job job) = 0;  // returns the job id (the existing job's, when deduplicated)
    // The job as `tenant` may see it: another tenant's id is nullopt.
    virtual std::optional<JobStatus> status(const std::string& tenant, const std::string& id) const = 0;
};

// Runs each job on the caller's thread when it is enqueued; enqueue rethrows the handler's error after
// recording it. Keeps the statuses of the jobs it ran. Safe to share between threads.
class InlineQueue : public Queue {
public:
    explicit InlineQueue(const HandlerRegistry& handlers) : handlers_(handlers) {}
    std::string enqueue(Job job) override;
    std::optional<JobStatus> status(const std::string& tenant, const std::string& id) const override;

private:
    void record(JobStatus status);
    const HandlerRegistry& handlers_;
    mutable std::mutex mutex_;
    std::map<std::string, JobStatus> statuses_;
};

std::string job_state_name(JobState state);
JobState job_state_from(const std::string& name);  // throws std::invalid_argument for an unknown name
nlohmann::json to_json(const JobStatus& status);

}  // namespace voltedge::jobs
