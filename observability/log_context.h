#pragma once
// Who the work on this thread is for, added to every log line it writes: an HTTP request sets its request id and,
// once the API key is resolved, its tenant; a job runner sets the job id.
#include <string>

namespace voltedge::observability {

struct LogContext {
    std::string request_id, tenant_id, job_id;  // empty: not logged
};

// Installs a context on the current thread for its lifetime and restores the enclosing one on destruction, so
// scopes nest. Fields left empty keep the enclosing scope's values: a job run inside a request still logs the
// request id. Create and destroy it on one thread, innermost first (as a local variable does).
class ScopedLogContext {
public:
    explicit ScopedLogContext(LogContext context);
    ~ScopedLogContext();
    ScopedLogContext(const ScopedLogContext&) = delete;
    ScopedLogContext& operator=(const ScopedLogContext&) = delete;

    // The tenant becomes known after the request's context is installed (authentication comes later). Throws
    // std::logic_error unless this is the thread's innermost scope: an inner scope would otherwise be overwritten.
    void set_tenant(std::string tenant_id);
    const LogContext& context() const { return context_; }

private:
    LogContext context_;
    LogContext previous_;
    std::string previous_fields_;  // core's rendered fields, restored as they were
    const ScopedLogContext* outer_;
};

// The context of the innermost scope on this thread; all fields empty outside any.
const LogContext& current_log_context();

}  // namespace voltedge::observability
