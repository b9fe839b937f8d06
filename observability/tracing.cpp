#include "observability/tracing.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <iterator>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/hex.h"
#include "core/log.h"
#include "observability/metrics.h"

namespace voltedge::observability {
namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

template <std::size_t N>
void fill_random(std::array<std::uint8_t, N>& bytes) {
    thread_local std::mt19937_64 rng([] {
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
               static_cast<std::uint64_t>(std::hash<std::thread::id>{}(std::this_thread::get_id())) ^
               static_cast<std::uint64_t>(now_ns());
    }());
    do {
        for (std::size_t i = 0; i < N; i += 8) {
            const std::uint64_t r = rng();
            for (std::size_t j = 0; j < 8 && i + j < N; ++j) bytes[i + j] = static_cast<std::uint8_t>(r >> (8 * j));
        }
    } while (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; }));
}

template <std::size_t N>
bool all_zero(const std::array<std::uint8_t, N>& bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

template <std::size_t N>
std::string hex(const std::array<std::uint8_t, N>& bytes) {
    return to_hex(bytes.data(), N);
}

template <std::size_t N>
void append_hex(std::string& out, const std::array<std::uint8_t, N>& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    char text[2 * N];
    for (std::size_t i = 0; i < N; ++i) {
        text[2 * i] = kDigits[bytes[i] >> 4];
        text[2 * i + 1] = kDigits[bytes[i] & 15];
    }
    out.append(text, 2 * N);
}

int hex_digit(char c) {  // lower case only, as the W3C spec requires
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

template <std::size_t N>
bool parse_hex(std::string_view text, std::array<std::uint8_t, N>& out) {
    if (text.size() != 2 * N) return false;
    for (std::size_t i = 0; i < N; ++i) {
        const int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    return true;
}

CounterFamily& exported_spans() {
    static auto& f = metrics().counter_family("voltedge_traces_exported_spans_total",
                                              "Spans handed to the OTLP exporter, by outcome (exported, failed, dropped).",
                                              {"outcome"});
    return f;
}

thread_local Span* current_span = nullptr;
thread_local bool suppressed = false;
std::atomic<bool> enabled{false};
std::atomic<double> sample_ratio{1.0};

// The export queue and its thread. One per process.
struct Exporter {
    TracingOptions options;
    OtlpPost post;
    std::mutex mutex;
    std::condition_variable wake, flushed_cv;
    std::vector<SpanRecord> queue;
    std::uint64_t flush_requested = 0, flush_done = 0;
    bool stopping = false;
    TracingStats stats;
    std::thread thread;
    std::chrono::steady_clock::time_point next_warning{};

    void run();
    void send(std::vector<SpanRecord>& spans);
};

// Never freed: a span ending on another thread may still hold it after stop_tracing (tests start and stop
// tracing more than once; a process does so at most once).
std::atomic<Exporter*> exporter{nullptr};
std::mutex lifecycle;  // start/stop/flush

void Exporter::send(std::vector<SpanRecord>& spans) {
    const std::string url = options.endpoint + "/v1/traces";
    for (std::size_t begin = 0; begin < spans.size(); begin += options.batch_size) {
        const std::size_t end = std::min(spans.size(), begin + options.batch_size);
        const std::vector<SpanRecord> batch(std::make_move_iterator(spans.begin() + begin),
                                            std::make_move_iterator(spans.begin() + end));
        std::string error;
        try {
            const long status = post(url, otlp_json(batch, options));
            if (status < 200 || status >= 300) error = fmt::format("{} answered HTTP {}", url, status);
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::lock_guard lock(mutex);
        if (error.empty()) {
            stats.exported += batch.size();
            exported_spans().with({"exported"}).inc(static_cast<double>(batch.size()));
            continue;
        }
        stats.failed += batch.size();
        stats.last_error = error;
        exported_spans().with({"failed"}).inc(static_cast<double>(batch.size()));
        // A collector that is down would otherwise write a line per batch.
        if (const auto now = std::chrono::steady_clock::now(); now >= next_warning) {
            next_warning = now + std::chrono::minutes(1);
            log_event("warn", "trace_export_failed",
                      {{"endpoint", options.endpoint},
                       {"spans", batch.size()},
                       {"error", error},
                       {"hint", "check that the collector (Jaeger) is up: scripts/devstack status"}});
        }
    }
}

void Exporter::run() {
    SuppressTracing no_spans_of_our_own;
    std::unique_lock lock(mutex);
    for (;;) {
        wake.wait_for(lock, options.flush_interval,
                      [&] { return stopping || queue.size() >= options.batch_size || flush_requested > flush_done; });
        std::vector<SpanRecord> taken;
        taken.swap(queue);
        const std::uint64_t flush_target = flush_requested;
        const bool last = stopping;
        lock.unlock();
        if (!taken.empty()) send(taken);
        lock.lock();
        flush_done = flush_target;
        flushed_cv.notify_all();
        if (last && queue.empty()) return;
    }
}

void enqueue(SpanRecord&& record) {
    Exporter* e = exporter.load();
    if (!e) return;
    std::unique_lock lock(e->mutex);
    if (e->queue.size() >= e->options.queue_limit) {
        ++e->stats.dropped;
        lock.unlock();
        exported_spans().with({"dropped"}).inc();
        return;
    }
    e->queue.push_back(std::move(record));
    if (e->queue.size() == e->options.batch_size) e->wake.notify_one();
}

// Trace-id ratio sampling: the decision is a function of the trace id, so every process that sees the trace
// makes the same one.
bool sample(const TraceContext& c) {
    const double ratio = sample_ratio.load(std::memory_order_relaxed);
    if (ratio >= 1.0) return true;
    std::uint64_t x = 0;
    for (std::size_t i = 8; i < 16; ++i) x = (x << 8) | c.trace_id[i];
    return static_cast<double>(x) < ratio * 18446744073709551616.0;
}

// `text` as a JSON string. Exporting is the tracer's hot loop, so plain ASCII (nearly every attribute) is escaped
// here in one pass; text with other bytes goes through json_quoted, which also repairs invalid UTF-8 (one bad
// byte would make the collector refuse the whole batch).
void append_quoted(std::string& out, std::string_view text) {
    for (const char c : text)
        if (static_cast<unsigned char>(c) >= 0x80) {
            out += json_quoted(text);
            return;
        }
    out += '"';
    std::size_t run = 0;  // start of the characters not yet appended: they need no escaping, and go in at once
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20) continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else {
            out += fmt::format("\\u{:04x}", static_cast<int>(c));
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
}

void append_attribute(std::string& out, const SpanAttribute& a) {
    out += R"({"key":)";
    append_quoted(out, a.key);
    out += R"(,"value":{)";
    switch (a.type) {
        case SpanAttribute::Type::text:
            out += R"("stringValue":)";
            append_quoted(out, a.text);
            break;
        case SpanAttribute::Type::integer: fmt::format_to(std::back_inserter(out), R"("intValue":"{}")", a.integer); break;
        case SpanAttribute::Type::real:
            // JSON has no NaN or infinity; OTLP/JSON would want them as strings, which collectors read poorly.
            out += std::isfinite(a.real) ? fmt::format(R"("doubleValue":{})", a.real) : R"("stringValue":"NaN")";
            break;
        case SpanAttribute::Type::boolean: out += a.boolean ? R"("boolValue":true)" : R"("boolValue":false)"; break;
    }
    out += "}}";
}

void append_attributes(std::string& out, const std::vector<SpanAttribute>& attributes) {
    out += '[';
    for (std::size_t i = 0; i < attributes.size(); ++i) {
        if (i) out += ',';
        append_attribute(out, attributes[i]);
    }
    out += ']';
}

SpanAttribute& attribute(SpanRecord& r, std::string_view key) {
    for (auto& a : r.attributes)  // nearly every key differs in length, or is the same literal
        if (a.key.size() == key.size() && (a.key.data() == key.data() || a.key == key)) return a;
    auto& a = r.attributes.emplace_back();
    a.key = key;
    return a;
}

}  // namespace

bool TraceContext::valid() const { return !all_zero(trace_id) && !all_zero(span_id); }
std::string TraceContext::trace_id_hex() const { return hex(trace_id); }
std::string TraceContext::span_id_hex() const { return hex(span_id); }

std::optional<TraceContext> parse_traceparent(std::string_view header) {
    // version "00" has exactly 55 characters; a later version may append fields after a '-'.
    if (header.size() < 55 || (header.size() > 55 && header[55] != '-')) return std::nullopt;
    if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
    std::array<std::uint8_t, 1> version{}, flags{};
    TraceContext c;
    if (!parse_hex(header.substr(0, 2), version) || version[0] == 0xff) return std::nullopt;
    if (version[0] == 0 && header.size() != 55) return std::nullopt;
    if (!parse_hex(header.substr(3, 32), c.trace_id) || !parse_hex(header.substr(36, 16), c.span_id) ||
        !parse_hex(header.substr(53, 2), flags) || !c.valid())
        return std::nullopt;
    c.sampled = flags[0] & 1;
    return c;
}

std::string format_traceparent(const TraceContext& c) {
    return "00-" + c.trace_id_hex() + "-" + c.span_id_hex() + (c.sampled ? "-01" : "-00");
}

void start_tracing(TracingOptions options, OtlpPost post) {
    if (!(options.sample_ratio >= 0 && options.sample_ratio <= 1))
        throw std::invalid_argument("trace sampling ratio must be within [0, 1]");
    std::lock_guard guard(lifecycle);
    if (exporter.load() || options.endpoint.empty()) return;
    while (!options.endpoint.empty() && options.endpoint.back() == '/') options.endpoint.pop_back();
    options.batch_size = std::max<std::size_t>(1, options.batch_size);
    sample_ratio.store(options.sample_ratio);
    auto* e = new Exporter{};
    e->options = std::move(options);
    e->post = std::move(post);
    e->thread = std::thread([e] { e->run(); });
    exporter.store(e);
    enabled.store(true);
}

void stop_tracing() {
    std::lock_guard guard(lifecycle);
    Exporter* e = exporter.exchange(nullptr);
    if (!e) return;
    enabled.store(false);
    {
        std::lock_guard lock(e->mutex);
        e->stopping = true;
    }
    e->wake.notify_one();
    e->thread.join();
}

void flush_traces() {
    std::lock_guard guard(lifecycle);
    Exporter* e = exporter.load();
    if (!e) return;
    std::unique_lock lock(e->mutex);
    const std::uint64_t target = ++e->flush_requested;
    e->wake.notify_one();
    e->flushed_cv.wait(lock, [&] { return e->flush_done >= target; });
}

bool tracing_enabled() { return enabled.load(std::memory_order_relaxed); }

TracingStats tracing_stats() {
    std::lock_guard guard(lifecycle);
    Exporter* e = exporter.load();
    if (!e) return {};
    std::lock_guard lock(e->mutex);
    return e->stats;
}

Span::Span(std::string_view name, SpanKind kind) {
    if (!enabled.load(std::memory_order_relaxed) || suppressed) return;
    begin(name, kind, current_span ? &current_span->context_ : nullptr);
}

Span::Span(std::string_view name, SpanKind kind, const std::optional<TraceContext>& remote_parent) {
    if (!enabled.load(std::memory_order_relaxed) || suppressed) return;
    begin(name, kind, remote_parent ? &*remote_parent : nullptr);
}

void Span::begin(std::string_view name, SpanKind kind, const TraceContext* parent) {
    if (parent) {
        context_.trace_id = parent->trace_id;
        context_.sampled = parent->sampled;
    } else {
        fill_random(context_.trace_id);
        context_.sampled = sample(context_);
    }
    fill_random(context_.span_id);
    if (context_.sampled) {
        record_ = std::make_unique<SpanRecord>();
        record_->attributes.reserve(16);  // a request's span has about thirteen: no regrowth
        record_->context = context_;
        if (parent) record_->parent_span_id = parent->span_id;
        record_->name = std::string(name);
        record_->kind = kind;
        record_->start_ns = now_ns();
    }
    outer_ = current_span;
    current_span = this;
    active_ = true;
    outer_log_ids_ = log_trace();
    set_log_trace({context_.trace_id.data(), context_.span_id.data()});
}

void Span::end() {
    if (!active_) return;
    active_ = false;
    current_span = outer_;
    set_log_trace(outer_log_ids_);
    if (!record_) return;
    record_->end_ns = now_ns();
    enqueue(std::move(*record_));
    record_.reset();
}

void Span::set_text(std::string_view key, std::string_view value) {
    auto& a = attribute(*record_, key);
    a.type = SpanAttribute::Type::text;
    a.text.assign(value);
}

void Span::set_integer(std::string_view key, std::int64_t value) {
    auto& a = attribute(*record_, key);
    a.type = SpanAttribute::Type::integer;
    a.integer = value;
}

void Span::set_real(std::string_view key, double value) {
    auto& a = attribute(*record_, key);
    a.type = SpanAttribute::Type::real;
    a.real = value;
}

void Span::set_boolean(std::string_view key, bool value) {
    auto& a = attribute(*record_, key);
    a.type = SpanAttribute::Type::boolean;
    a.boolean = value;
}

void Span::add_event(std::string_view name, std::string_view detail) {
    if (!record_) return;
    auto& e = record_->events.emplace_back();
    e.time_ns = now_ns();
    e.name = std::string(name);
    e.detail = filtered(detail);  // free text may quote a user's input: the log filter masks secrets in it
}

void Span::set_error(std::string_view message) {
    if (!record_) return;
    record_->error = true;
    record_->status_message = filtered(message);  // error text may name a URL or quote input: masked like a log line
    auto& e = record_->events.emplace_back();
    e.time_ns = now_ns();
    e.name = "exception";
    e.detail = record_->status_message;
}

const TraceContext* current_trace_context() { return current_span ? &current_span->context() : nullptr; }

std::string current_traceparent() { return current_span ? format_traceparent(current_span->context()) : std::string(); }

SuppressTracing::SuppressTracing() : previous_(std::exchange(suppressed, true)) {}
SuppressTracing::~SuppressTracing() { suppressed = previous_; }

std::string otlp_json(const std::vector<SpanRecord>& spans, const TracingOptions& options) {
    std::string out;
    out.reserve(512 + spans.size() * 400);
    out += R"({"resourceSpans":[{"resource":{"attributes":)";
    std::vector<SpanAttribute> resource(2);
    resource[0].key = "service.name";
    resource[0].text = options.service_name;
    resource[1].key = "telemetry.sdk.language";
    resource[1].text = "cpp";
    if (!options.service_version.empty()) {
        auto& version = resource.emplace_back();
        version.key = "service.version";
        version.text = options.service_version;
    }
    append_attributes(out, resource);
    out += R"(},"scopeSpans":[{"scope":{"name":"voltedge.observability","version":)" + json_quoted(options.service_version) +
           R"(},"spans":[)";
    for (std::size_t i = 0; i < spans.size(); ++i) {
        const SpanRecord& s = spans[i];
        if (i) out += ',';
        out += R"({"traceId":")";
        append_hex(out, s.context.trace_id);
        out += R"(","spanId":")";
        append_hex(out, s.context.span_id);
        if (!all_zero(s.parent_span_id)) {
            out += R"(","parentSpanId":")";
            append_hex(out, s.parent_span_id);
        }
        out += R"(","name":)";
        append_quoted(out, s.name);
        fmt::format_to(std::back_inserter(out), R"(,"kind":{},"startTimeUnixNano":"{}","endTimeUnixNano":"{}","attributes":)",
                       static_cast<int>(s.kind), s.start_ns, s.end_ns);
        append_attributes(out, s.attributes);
        out += R"(,"events":[)";
        for (std::size_t j = 0; j < s.events.size(); ++j) {
            const SpanEvent& e = s.events[j];
            if (j) out += ',';
            out += fmt::format(R"({{"timeUnixNano":"{}","name":{},"attributes":)", e.time_ns, json_quoted(e.name));
            std::vector<SpanAttribute> detail;
            if (!e.detail.empty()) {
                auto& a = detail.emplace_back();
                a.key = e.name == "exception" ? "exception.message" : "message";
                a.text = e.detail;
            }
            append_attributes(out, detail);
            out += '}';
        }
        out += R"(],"status":)";
        out += s.error ? R"({"code":2,"message":)" + json_quoted(s.status_message) + "}" : R"({"code":0})";
        out += '}';
    }
    out += "]}]}]}";
    return out;
}

}  // namespace voltedge::observability
