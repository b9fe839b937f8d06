#include "core/log.h"

#include "core/hex.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include <fmt/chrono.h>

namespace voltedge {

void log_event(std::string_view level, std::string_view event, nlohmann::json fields) {
    const std::string text = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    log_event_raw(level, event, std::string_view(text).substr(1, text.size() - 2));  // without the braces
}

namespace {

// Rendered once when set, so each line pays one append for it.
thread_local std::string context_fields;
thread_local LogTraceIds trace_ids;
LogFilter line_filter = nullptr;

}  // namespace

void set_log_filter(LogFilter filter) { line_filter = filter; }

std::string filtered(std::string_view text) { return line_filter ? line_filter(text) : std::string(text); }

void set_log_context(std::string fields) { context_fields = std::move(fields); }

const std::string& log_context() { return context_fields; }

void set_log_trace(LogTraceIds ids) { trace_ids = ids; }

LogTraceIds log_trace() { return trace_ids; }

void log_event_raw(std::string_view level, std::string_view event, std::string_view fields) {
    static std::mutex mutex;
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    std::string line = fmt::format("{{\"ts\":\"{:%FT%T}Z\",\"level\":{},\"event\":{}{}{}{}{}", now, json_quoted(level),
                                   json_quoted(event), context_fields.empty() ? "" : ",", context_fields,
                                   fields.empty() ? "" : ",", fields);
    if (line_filter) line = line_filter(line);
    // The trace ids are ours (hex), after the filter: it has nothing to find in them, and scanning them cost a
    // traced request's log line about 1 % of the request (serve_bench, perf).
    if (trace_ids.trace_id) {
        line += R"(,"trace_id":")";
        line += to_hex(trace_ids.trace_id, 16);
        line += R"(","span_id":")";
        line += to_hex(trace_ids.span_id, 8);
        line += '"';
    }
    line += "}\n";
    std::lock_guard lock(mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
}

std::string json_quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace voltedge
