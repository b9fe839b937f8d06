#include "observability/log_context.h"

#include <stdexcept>
#include <string_view>

#include "core/log.h"

namespace voltedge::observability {
namespace {

thread_local LogContext current;
thread_local const ScopedLogContext* innermost = nullptr;

// "request_id":"..","tenant_id":"..","job_id":"..", leaving out empty ones.
std::string rendered(const LogContext& c) {
    std::string out;
    const auto field = [&out](std::string_view key, const std::string& value) {
        if (value.empty()) return;
        if (!out.empty()) out += ',';
        out += '"';
        out += key;
        out += "\":";
        out += json_quoted(value);
    };
    field("request_id", c.request_id);
    field("tenant_id", c.tenant_id);
    field("job_id", c.job_id);
    return out;
}

void install(const LogContext& c) {
    current = c;
    set_log_context(rendered(c));
}

}  // namespace

ScopedLogContext::ScopedLogContext(LogContext context)
    : context_(std::move(context)), previous_(current), previous_fields_(log_context()), outer_(innermost) {
    if (context_.request_id.empty()) context_.request_id = previous_.request_id;
    if (context_.tenant_id.empty()) context_.tenant_id = previous_.tenant_id;
    if (context_.job_id.empty()) context_.job_id = previous_.job_id;
    install(context_);
    innermost = this;
}

ScopedLogContext::~ScopedLogContext() {
    innermost = outer_;
    current = std::move(previous_);
    set_log_context(std::move(previous_fields_));
}

void ScopedLogContext::set_tenant(std::string tenant_id) {
    if (innermost != this)
        throw std::logic_error("ScopedLogContext::set_tenant: not the innermost log context scope of this thread");
    context_.tenant_id = std::move(tenant_id);
    install(context_);
}

const LogContext& current_log_context() { return current; }

}  // namespace voltedge::observability
