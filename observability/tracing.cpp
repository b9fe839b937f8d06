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
#include "observability/otlp.h"

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
    char text[2 * N];
    write_hex(text, bytes.data(), N);
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

// Ended spans, already encoded (otlp.h; a batch is wrapped at export): a span is serialised on the
// thread that ends it, into a buffer that thread reuses, and appended to the batch being filled. Nothing is
// allocated per span once a thread is warm. (Queued as records, each span cost a request about 1.3 kB of heap
// for its attributes, allocated on the request's thread and freed on the export thread; with the record
// itself and the queue's regrowth that was about a quarter of tracing's cost, perf under serve_bench.)
struct Batch {
    std::string spans;
    std::size_t count = 0;
};

// The export queue and its thread. One per process.
struct Exporter {
    TracingOptions options;
    OtlpPost post;
    std::mutex mutex;
    std::condition_variable wake, flushed_cv;
    std::vector<Batch> full;  // of options.batch_size spans each
    Batch filling;
    std::size_t queued = 0;          // spans in `full` and `filling`
    std::size_t batch_capacity = 0;  // bytes the last full batch took: a new one reserves as much
    // Sent batches' buffers, for new batches to fill. A fresh half-megabyte buffer is new pages, which the
    // kernel zeroes on first touch on the thread of the request whose span lands on them: that was a third of
    // the cost of ending a span in the server (perf under serve_bench). The exporter's body buffer is kept too.
    std::vector<std::string> spare_buffers;
    std::string body;  // the export thread's only
    std::uint64_t flush_requested = 0, flush_done = 0;
    bool stopping = false;
    TracingStats stats;
    std::thread thread;
    std::chrono::steady_clock::time_point next_warning{};

    void run();
    void send(std::vector<Batch>& batches);
};

// Never freed: a span ending on another thread may still hold it after stop_tracing (tests start and stop
// tracing more than once; a process does so at most once).
std::atomic<Exporter*> exporter{nullptr};
std::mutex lifecycle;  // start/stop/flush

void Exporter::send(std::vector<Batch>& batches) {
    const std::string url = options.endpoint + "/v1/traces";
    for (Batch& batch : batches) {
        std::string error;
        try {
            otlp::write_body(body, batch.spans, options);
            const long status = post(url, body, content_type(options.protocol));
            if (status < 200 || status >= 300) error = fmt::format("{} answered HTTP {}", url, status);
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::lock_guard lock(mutex);
        if (spare_buffers.size() < 2) spare_buffers.push_back(std::move(batch.spans));
        if (error.empty()) {
            stats.exported += batch.count;
            exported_spans().with({"exported"}).inc(static_cast<double>(batch.count));
            continue;
        }
        stats.failed += batch.count;
        stats.last_error = error;
        exported_spans().with({"failed"}).inc(static_cast<double>(batch.count));
        // A collector that is down would otherwise write a line per batch.
        if (const auto now = std::chrono::steady_clock::now(); now >= next_warning) {
            next_warning = now + std::chrono::minutes(1);
            log_event("warn", "trace_export_failed",
                      {{"endpoint", options.endpoint},
                       {"spans", batch.count},
                       {"error", error},
                       {"hint", "check that the collector (Jaeger) is up: scripts/devstack status"}});
        }
    }
}

void Exporter::run() {
    SuppressTracing no_spans_of_our_own;
    std::unique_lock lock(mutex);
    for (;;) {
        wake.wait_for(lock, options.flush_interval, [&] { return stopping || !full.empty() || flush_requested > flush_done; });
        std::vector<Batch> taken;
        taken.swap(full);
        if (filling.count) taken.push_back(std::exchange(filling, Batch{}));
        queued = 0;
        const std::uint64_t flush_target = flush_requested;
        const bool last = stopping;
        lock.unlock();
        if (!taken.empty()) send(taken);
        lock.lock();
        flush_done = flush_target;
        flushed_cv.notify_all();
        if (last && queued == 0) return;
    }
}

// What a thread keeps for its spans: records to reuse (one per span open at once) and the buffer a span is
// serialised into. A span may end during thread exit, after this is gone (a thread_local span destroyed later):
// `spares_gone` (trivially destructible, so still readable) says so, and the span then allocates as before.
struct ThreadSpares {
    std::vector<std::unique_ptr<SpanRecord>> records;
    std::string encoded;
    // Text values' buffers from ended spans' attributes: a request id or a user agent is longer than a string
    // holds in place, and would otherwise allocate on every request.
    std::vector<std::string> texts;
    ~ThreadSpares();
};
thread_local bool spares_gone = false;
thread_local ThreadSpares spares;
ThreadSpares::~ThreadSpares() { spares_gone = true; }

std::unique_ptr<SpanRecord> take_record() {
    if (spares_gone || spares.records.empty()) return std::make_unique<SpanRecord>();
    auto record = std::move(spares.records.back());
    spares.records.pop_back();
    return record;
}

void give_back(std::unique_ptr<SpanRecord> record) {
    constexpr std::size_t kKept = 16;  // deeper nesting than this allocates
    if (spares_gone || spares.records.size() >= kKept) return;
    spares.records.push_back(std::move(record));
}

void enqueue(const SpanRecord& record) {
    Exporter* e = exporter.load();
    if (!e) return;
    std::string local;
    std::string& encoded = spares_gone ? local : spares.encoded;
    encoded.clear();
    otlp::append_span(encoded, record, e->options.protocol);  // outside the lock
    std::unique_lock lock(e->mutex);
    if (e->queued >= e->options.queue_limit) {
        ++e->stats.dropped;
        lock.unlock();
        exported_spans().with({"dropped"}).inc();
        return;
    }
    Batch& batch = e->filling;
    if (batch.count == 0 && !e->spare_buffers.empty()) {
        batch.spans = std::move(e->spare_buffers.back());
        e->spare_buffers.pop_back();
        batch.spans.clear();
    } else if (batch.count == 0) {
        batch.spans.reserve(e->batch_capacity);
    } else {
        batch.spans += otlp::separator(e->options.protocol);
    }
    batch.spans += encoded;
    ++e->queued;
    if (++batch.count < e->options.batch_size) return;
    e->batch_capacity = batch.spans.size() + batch.spans.size() / 8;
    e->full.push_back(std::exchange(batch, Batch{}));
    e->wake.notify_one();
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

SpanAttribute& attribute(SpanRecord& r, std::string_view key) {
    for (auto& a : r.attributes)  // nearly every key differs in length, or is the same literal
        if (a.key.size() == key.size() && (a.key.data() == key.data() || a.key == key)) return a;
    auto& a = r.attributes.emplace_back();
    a.key = key;
    if (!spares_gone && !spares.texts.empty()) {
        a.text = std::move(spares.texts.back());
        spares.texts.pop_back();
        a.text.clear();
    }
    return a;
}

// Keeps the buffers of `r`'s text values for the thread's next spans, and empties `r`'s attributes.
void recycle_attributes(SpanRecord& r) {
    constexpr std::size_t kKept = 64;
    if (!spares_gone)
        for (auto& a : r.attributes)
            if (a.text.capacity() > std::string().capacity() && spares.texts.size() < kKept)
                spares.texts.push_back(std::move(a.text));
    r.attributes.clear();
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
        record_ = take_record();  // reused: its strings and vectors keep their capacity
        record_->context = context_;
        record_->parent_span_id = parent ? parent->span_id : std::array<std::uint8_t, 8>{};
        record_->name.assign(name);
        record_->kind = kind;
        record_->start_ns = now_ns();
        record_->end_ns = 0;
        recycle_attributes(*record_);
        record_->events.clear();
        record_->error = false;
        record_->status_message.clear();
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
    enqueue(*record_);
    give_back(std::move(record_));
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

std::string content_type(OtlpProtocol protocol) {
    return protocol == OtlpProtocol::protobuf ? "application/x-protobuf" : "application/json";
}

std::string otlp_body(const std::vector<SpanRecord>& spans, const TracingOptions& options) {
    std::string joined;
    for (std::size_t i = 0; i < spans.size(); ++i) {
        if (i) joined += otlp::separator(options.protocol);
        otlp::append_span(joined, spans[i], options.protocol);
    }
    std::string body;
    otlp::write_body(body, joined, options);
    return body;
}

}  // namespace voltedge::observability
