#include "jobs/job.h"

#include <stdexcept>

#include "core/error.h"
#include "core/log.h"
#include "core/uuid.h"
#include "observability/log_context.h"
#include "observability/tracing.h"

namespace voltedge::jobs {

void HandlerRegistry::add(const std::string& kind, const std::string& description, Handler handler, int max_attempts) {
    if (max_attempts < 1) throw std::logic_error("job kind '" + kind + "' needs at least one attempt");
    if (!handlers_.emplace(kind, Entry{description, std::move(handler), max_attempts}).second)
        throw std::logic_error("job kind '" + kind + "' registered twice");
}

const HandlerRegistry::Entry& HandlerRegistry::entry(const std::string& kind) const {
    const auto it = handlers_.find(kind);
    if (it != handlers_.end()) return it->second;
    std::string known;
    for (const auto& [k, e] : handlers_) known += (known.empty() ? "" : ", ") + k;
    throw FieldError("kind", "unknown job kind '" + kind + "'", "known kinds: " + known);
}

int HandlerRegistry::max_attempts(const std::string& kind) const { return entry(kind).max_attempts; }

std::vector<std::pair<std::string, std::string>> HandlerRegistry::kinds() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [kind, entry] : handlers_) out.emplace_back(kind, entry.description);
    return out;
}

nlohmann::json HandlerRegistry::run(Job job) const {
    const Entry& e = entry(job.kind);
    if (job.id.empty()) job.id = new_uuid();
    observability::ScopedLogContext context({"", job.tenant, job.id});
    // A queued job continues the trace of whoever submitted it; a job run inline is part of the current span.
    const auto submitter = observability::parse_traceparent(job.traceparent);
    const auto* current = observability::current_trace_context();
    observability::Span span("job " + job.kind, submitter ? observability::SpanKind::consumer : observability::SpanKind::internal,
                             submitter ? submitter
                             : current ? std::optional(*current)
                                       : std::nullopt);
    span.set("job.id", job.id);
    span.set("job.kind", job.kind);
    span.set("tenant.id", job.tenant);
    log_info("job_started", {{"kind", job.kind}});
    try {
        nlohmann::json result = e.handler(job);
        log_info("job_finished", {{"kind", job.kind}});
        return result;
    } catch (const std::exception& ex) {
        span.set_error(ex.what());
        throw;
    }
}

std::string InlineQueue::enqueue(Job job) {
    if (job.id.empty()) job.id = new_uuid();
    JobStatus running;
    running.job = job;
    running.state = JobState::running;
    running.attempts = 1;
    record(running);
    JobStatus finished = running;
    finished.state = JobState::succeeded;
    try {
        finished.result = handlers_.run(job);
    } catch (const std::exception& e) {
        finished.state = JobState::failed;
        finished.error = e.what();
        if (const auto* err = dynamic_cast<const Error*>(&e)) finished.hint = err->hint();
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

std::optional<JobStatus> InlineQueue::status(const std::string& tenant, const std::string& id) const {
    std::lock_guard lock(mutex_);
    const auto it = statuses_.find(id);
    if (it == statuses_.end() || it->second.job.tenant != tenant) return std::nullopt;
    return it->second;
}

std::string job_state_name(JobState state) {
    switch (state) {
        case JobState::queued: return "queued";
        case JobState::running: return "running";
        case JobState::retrying: return "retrying";
        case JobState::succeeded: return "succeeded";
        case JobState::failed: return "failed";
        case JobState::dead: return "dead";
    }
    return "unknown";
}

JobState job_state_from(const std::string& name) {
    for (auto s :
         {JobState::queued, JobState::running, JobState::retrying, JobState::succeeded, JobState::failed, JobState::dead})
        if (job_state_name(s) == name) return s;
    throw std::invalid_argument("unknown job state '" + name + "'");
}

nlohmann::json to_json(const JobStatus& s) {
    const auto or_null = [](const std::string& v) { return v.empty() ? nlohmann::json(nullptr) : nlohmann::json(v); };
    return {{"job_id", s.job.id},
            {"tenant", s.job.tenant},
            {"kind", s.job.kind},
            {"payload", s.job.payload},
            {"dedupe_key", or_null(s.job.dedupe_key)},
            {"state", job_state_name(s.state)},
            {"attempts", s.attempts},
            {"max_attempts", s.max_attempts},
            {"error", or_null(s.error)},
            {"hint", or_null(s.hint)},
            {"result", s.result},
            {"worker", or_null(s.worker)},
            {"created_at", or_null(s.created_at)},
            {"started_at", or_null(s.started_at)},
            {"finished_at", or_null(s.finished_at)},
            {"next_attempt_at", or_null(s.next_attempt_at)}};
}

}  // namespace voltedge::jobs
