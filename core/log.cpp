#include "core/log.h"

#include "core/hex.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
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

// Writes both parts, in order, with one system call nearly always (a partial write goes on where it stopped).
// stderr is unbuffered, so nothing written through it can be waiting to go out before these bytes.
void write_all(int fd, std::string_view first, std::string_view second) {
    iovec parts[2] = {{const_cast<char*>(first.data()), first.size()}, {const_cast<char*>(second.data()), second.size()}};
    iovec* next = parts;
    int count = 2;
    while (count > 0) {
        const ssize_t written = ::writev(fd, next, count);
        if (written < 0) {
            if (errno == EINTR) continue;
            return;  // nowhere left to say it
        }
        auto left = static_cast<std::size_t>(written);
        for (; count > 0 && left >= next->iov_len; ++next, --count) left -= next->iov_len;
        if (count > 0) {
            next->iov_base = static_cast<char*>(next->iov_base) + left;
            next->iov_len -= left;
        }
    }
}

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
    // The trace ids are ours (hex) and go after the filter: it has nothing to find in them, and scanning them cost
    // a traced request's log line about 1 % of the request (serve_bench, perf). Written beside the line, not
    // appended to it (a copy of the line per request).
    char end[80];
    std::size_t end_size = 0;
    const auto put = [&](std::string_view text) {
        text.copy(end + end_size, text.size());
        end_size += text.size();
    };
    if (trace_ids.trace_id) {
        put(R"(,"trace_id":")");
        write_hex(end + end_size, trace_ids.trace_id, 16);
        end_size += 32;
        put(R"(","span_id":")");
        write_hex(end + end_size, trace_ids.span_id, 8);
        end_size += 16;
        put("\"");
    }
    put("}\n");
    std::lock_guard lock(mutex);
    write_all(STDERR_FILENO, line, std::string_view(end, end_size));
}

std::string json_quoted(std::string_view text) {
    return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace voltedge
