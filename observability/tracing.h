#pragma once
// Distributed traces: spans with W3C trace context, exported over OTLP/HTTP (protobuf or JSON) to any OpenTelemetry
// collector (Jaeger in the local stack). opentelemetry-cpp is not obtainable on our build machines, so this is a
// small exporter of our own that keeps to the OTLP trace model: resource, scope, spans with kind, attributes,
// events and status.
//
// A Span is a scope on one thread: made, it becomes the thread's current span and the parent of spans made
// under it; destroyed, it ends and is queued for export. Export runs in batches on a background thread and
// never blocks the thread that made the span: when the queue is full, spans are dropped and counted.
// With tracing off (no endpoint configured) a Span costs one relaxed atomic load.
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/log.h"

namespace voltedge::observability {

// The W3C trace context a span passes to its children and to other processes (the traceparent header).
struct TraceContext {
    std::array<std::uint8_t, 16> trace_id{};
    std::array<std::uint8_t, 8> span_id{};
    bool sampled = false;

    bool valid() const;  // both ids non-zero
    std::string trace_id_hex() const;
    std::string span_id_hex() const;
};

// "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>"; nullopt for anything else (wrong length, version ff,
// upper-case or non-hex digits, all-zero ids), as the W3C spec asks a receiver to treat it as absent.
std::optional<TraceContext> parse_traceparent(std::string_view header);
std::string format_traceparent(const TraceContext& context);

enum class SpanKind { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

struct SpanAttribute {
    enum class Type { text, integer, real, boolean };
    std::string_view key;  // a string literal's text (kept by reference)
    Type type = Type::text;
    std::string text;
    std::int64_t integer = 0;
    double real = 0;
    bool boolean = false;
};

struct SpanEvent {
    std::int64_t time_ns = 0;  // Unix epoch
    std::string name, detail;
};

// An ended span as it is exported.
struct SpanRecord {
    TraceContext context;
    std::array<std::uint8_t, 8> parent_span_id{};  // zero: a root span
    std::string name;
    SpanKind kind = SpanKind::internal;
    std::int64_t start_ns = 0, end_ns = 0;  // Unix epoch
    std::vector<SpanAttribute> attributes;
    std::vector<SpanEvent> events;
    bool error = false;
    std::string status_message;
};

// Posts an OTLP body of `content_type` to `url` and returns the HTTP status; throws on a transport failure. The
// binary passes its HTTP client in (observability sits below http/ in the architecture).
using OtlpPost = std::function<long(const std::string& url, const std::string& body, const std::string& content_type)>;

// OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf (the OTLP default) or http/json.
enum class OtlpProtocol { protobuf, json };
std::string content_type(OtlpProtocol protocol);  // application/x-protobuf or application/json

struct TracingOptions {
    std::string endpoint;  // OTLP/HTTP base URL, e.g. http://127.0.0.1:24318; spans go to <endpoint>/v1/traces
    OtlpProtocol protocol = OtlpProtocol::protobuf;
    double sample_ratio = 1.0;  // share of new traces recorded; a remote parent's decision is followed
    std::string service_name = "voltedge";
    std::string service_version;
    std::size_t queue_limit = 16384;  // spans waiting for export beyond this are dropped
    std::size_t batch_size = 2048;    // spans per OTLP request (about 0.5 MB of protobuf, 1.4 MB of JSON)
    std::chrono::milliseconds flush_interval{1000};
};

// Starts the export thread; an empty endpoint leaves tracing off. Call once, before spans are made (again
// after stop_tracing in tests). Throws std::invalid_argument for a ratio outside [0, 1].
void start_tracing(TracingOptions options, OtlpPost post);
// Exports everything queued, then stops the thread; tracing is off afterwards. Safe to call when not started.
void stop_tracing();
// Exports everything ended so far and waits until it has been sent (or failed).
void flush_traces();
bool tracing_enabled();

struct TracingStats {
    std::uint64_t exported = 0, dropped = 0, failed = 0;  // spans
    std::string last_error;
};
TracingStats tracing_stats();

class Span {
public:
    // A child of the thread's current span, or the root of a new trace.
    explicit Span(std::string_view name, SpanKind kind = SpanKind::internal);
    // A child of `remote_parent` (from a traceparent header or a job); the root of a new trace when it is nullopt.
    Span(std::string_view name, SpanKind kind, const std::optional<TraceContext>& remote_parent);
    ~Span() { end(); }
    Span(const Span&) = delete;
    Span& operator=(const Span&) = delete;

    // Ends the span now (the destructor does nothing more). Spans must end innermost first.
    void end();

    // Whether this span is sampled and will be exported; attributes and events are ignored otherwise, so
    // callers may skip computing expensive ones.
    bool recording() const { return record_ != nullptr; }
    const TraceContext& context() const { return context_; }

    // Attributes follow the OpenTelemetry semantic conventions (http.*, db.*, server.*) plus ours
    // (tenant.id, model.version, doc.refs). Setting a key again replaces its value.
    // `key` is a string literal: it is kept by pointer, not copied (attributes are set on every request).
    template <std::size_t N, class Value>
    void set(const char (&key)[N], const Value& value) {
        if (!record_) return;
        if constexpr (std::is_same_v<Value, bool>)
            set_boolean({key, N - 1}, value);
        else if constexpr (std::is_integral_v<Value>)
            set_integer({key, N - 1}, static_cast<std::int64_t>(value));
        else if constexpr (std::is_floating_point_v<Value>)
            set_real({key, N - 1}, static_cast<double>(value));
        else
            set_text({key, N - 1}, std::string_view(value));
    }
    void add_event(std::string_view name, std::string_view detail = {});
    // Marks the span failed with `message` (status ERROR, and an "exception" event). Messages and event details
    // pass through the log filter (core/log.h: secrets masked) before they leave the process.
    void set_error(std::string_view message);

private:
    void begin(std::string_view name, SpanKind kind, const TraceContext* parent);
    void set_text(std::string_view key, std::string_view value);
    void set_integer(std::string_view key, std::int64_t value);
    void set_real(std::string_view key, double value);
    void set_boolean(std::string_view key, bool value);

    TraceContext context_;
    std::unique_ptr<SpanRecord> record_;  // null when not recording
    Span* outer_ = nullptr;               // the thread's current span before this one
    LogTraceIds outer_log_ids_;
    bool active_ = false;  // installed as the thread's current span and not yet ended
};

// The context of the thread's current span; nullptr when there is none (or tracing is off).
const TraceContext* current_trace_context();
// format_traceparent of the current span; empty when there is none.
std::string current_traceparent();

// Spans made on this thread while it lives are not recorded (the exporter's own HTTP calls must not be traced).
class SuppressTracing {
public:
    SuppressTracing();
    ~SuppressTracing();
    SuppressTracing(const SuppressTracing&) = delete;
    SuppressTracing& operator=(const SuppressTracing&) = delete;

private:
    bool previous_;
};

// One OTLP ExportTraceServiceRequest in `options.protocol`'s encoding (JSON: ids in hex, 64-bit integers as
// strings), for `spans` ended under `options`' resource. Exposed for tests.
std::string otlp_body(const std::vector<SpanRecord>& spans, const TracingOptions& options);

}  // namespace voltedge::observability
