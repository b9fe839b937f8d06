#include "jobs/job.h"

#include <stdexcept>

#include "core/error.h"
#include "core/log.h"
#include "core/uuid.h"
#include "observability/log_context.h"

namespace voltedge::jobs {

void HandlerRegistry::add(const std::string& kind, const std::string& description, Handler handler) {
    if (!handlers_.emplace(kind, Entry{description, std::move(handler)}).second)
        throw std::logic_error("job kind '" + kind + "' registered twice");
}

std::vector<std::pair<std::string, std::string>> HandlerRegistry::kinds() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [kind, entry] : handlers_) out.emplace_back(kind, entry.description);
    return out;
}

nlohmann::json HandlerRegistry::run(Job job) const {
    const auto it = handlers_.find(job.kind);
    if (it == handlers_.end()) {
        std::string known;
        for (const auto& [kind, entry] : handlers_) known += (known.empty() ? "" : ", ") + kind;
        throw Error("unknown job kind '" + job.kind + "'", "known kinds: " + known);
    }
    if (job.id.empty()) job.id = new_uuid();
    observability::ScopedLogContext context({"", job.tenant, job.id});
    log_info("job_started", {{"kind", job.kind}});
    nlohmann::json result = it->second.handler(job);
    log_info("job_finished", {{"kind", job.kind}});
    return result;
}

std::string InlineQueue::enqueue(Job job) {
    if (job.id.empty()) job.id = new_uuid();
    record({job, JobState::running, nullptr, 1});
    JobStatus finished{job, JobState::succeeded, nullptr, 1};
    try {
        finished.result = handlers_.run(job);
    } catch (const Error& e) {
        finished.state = JobState::failed;
        finished.result = {{"error", e.what()}, {"hint", e.hint()}};
        record(std::move(finished));
        throw;
    } catch (const std::exception& e) {
        finished.state = JobState::failed;
        finished.result = {{"error", e.what()}};
        record(std::move(finished));
        throw;
    }
    record(std::move(finished));
    return job.id;
}

void InlineQueue::record(JobStatus status) {
    std::lock_guard lock(mutex_);
    const std::string id = status.job.id;
    statuses_[id] = std::move(status);
}

std::optional<JobStatus> InlineQueue::status(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = statuses_.find(id);
    if (it == statuses_.end()) return std::nullopt;
    return it->second;
}

std::string job_state_name(JobState state) {
    switch (state) {
        case JobState::queued: return "queued";
        case JobState::running: return "running";
        case JobState::succeeded: return "succeeded";
        case JobState::failed: return "failed";
    }
    return "unknown";
}

}  // namespace voltedge::jobs
