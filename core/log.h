#pragma once
// Structured logs: one JSON object per line on stderr, so stdout stays free for command output.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace voltedge {

void log_event(std::string_view level, std::string_view event, nlohmann::json fields = nlohmann::json::object());
// The same line from fields already in JSON form ("\"key\":value,..."), for hot paths (one per API request)
// where building a JSON object costs more than the rest of the request.
void log_event_raw(std::string_view level, std::string_view event, std::string_view fields);
// A filter every line passes through before it is written: the binary installs security::redacted, so no e-mail
// address, token or password a message carries (an error quoting a user's input, say) reaches a log. Set once,
// before threads start; null (the default) writes lines as they are.
using LogFilter = std::string (*)(std::string_view line);
void set_log_filter(LogFilter filter);
// `text` through the installed filter (unchanged when none): for text that leaves the process by another way than
// a log line, such as a span's error message exported to a trace collector.
std::string filtered(std::string_view text);

// `text` as a JSON string literal, quotes included.
std::string json_quoted(std::string_view text);

// Fields every line written on this thread carries after "event", already in JSON form ("\"key\":value,...",
// no braces; empty for none): who the work is for (request, tenant, job). Set by observability::ScopedLogContext
// rather than directly. While it is set, callers should not pass the same keys in their own fields: the line
// would have them twice.
void set_log_context(std::string fields);
const std::string& log_context();
// The thread's current span, whose ids each line written on this thread carries as "trace_id" and "span_id"
// after the context fields. Pointers to the span's 16- and 8-byte ids, rendered only when a line is written, so a
// span costs no formatting; the span must keep them alive while installed. Set by observability::Span.
struct LogTraceIds {
    const unsigned char* trace_id = nullptr;  // null: no span
    const unsigned char* span_id = nullptr;
};
void set_log_trace(LogTraceIds ids);
LogTraceIds log_trace();

inline void log_info(std::string_view event, nlohmann::json fields = nlohmann::json::object()) {
    log_event("info", event, std::move(fields));
}

}  // namespace voltedge
