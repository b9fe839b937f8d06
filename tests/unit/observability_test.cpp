#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <map>
#include <latch>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/log.h"
#include "observability/log_context.h"
#include "jobs/job.h"
#include "observability/metrics.h"
#include "observability/tracing.h"

using voltedge::observability::current_log_context;
using voltedge::observability::GaugeSamples;
using voltedge::observability::LogContext;
using voltedge::observability::Registry;
using voltedge::observability::ScopedLogContext;

namespace {

// The JSON objects written to stderr while `fn` runs, one per line.
template <class Fn>
std::vector<nlohmann::json> logged_lines(Fn fn) {
    testing::internal::CaptureStderr();
    fn();
    std::istringstream in(testing::internal::GetCapturedStderr());
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
}

}  // namespace

// ---- metrics ----

TEST(Metrics, RendersACounter) {
    Registry r;
    auto& c = r.counter("voltedge_prediction_cache_misses_total", "Predictions computed because no cache had them.");
    c.inc();
    c.inc(2);
    EXPECT_EQ(c.value(), 3);
    EXPECT_EQ(r.render(), "# HELP voltedge_prediction_cache_misses_total Predictions computed because no cache had them.\n"
                          "# TYPE voltedge_prediction_cache_misses_total counter\n"
                          "voltedge_prediction_cache_misses_total 3\n");
}

TEST(Metrics, CounterTakesFractionsAndRefusesToGoDown) {
    Registry r;
    auto& c = r.counter("work_seconds_total", "Seconds of work.");
    c.inc(0.25);
    c.inc(0.5);
    c.inc();
    EXPECT_EQ(r.render(),
              "# HELP work_seconds_total Seconds of work.\n# TYPE work_seconds_total counter\nwork_seconds_total 1.75\n");
    EXPECT_THROW(c.inc(-1), std::invalid_argument);
    EXPECT_THROW(c.inc(std::nan("")), std::invalid_argument);
    EXPECT_EQ(c.value(), 1.75);
}

TEST(Metrics, LabelledCounterEscapesAndSortsSeries) {
    Registry r;
    auto& f = r.counter_family("voltedge_http_requests_total", "Requests \\ by route,\nstatus.", {"route", "status"});
    f.with({"/predict", "200"}).inc();
    f.with({"/predict", "200"}).inc();
    f.with({"/a\"b\\c\nd", "500"}).inc();
    f.with({"/explain/{id}", "404"}).inc(0);
    EXPECT_EQ(&f.with({"/predict", "200"}), &f.with({"/predict", "200"}));
    EXPECT_EQ(r.render(), "# HELP voltedge_http_requests_total Requests \\\\ by route,\\nstatus.\n"
                          "# TYPE voltedge_http_requests_total counter\n"
                          "voltedge_http_requests_total{route=\"/a\\\"b\\\\c\\nd\",status=\"500\"} 1\n"
                          "voltedge_http_requests_total{route=\"/explain/{id}\",status=\"404\"} 0\n"
                          "voltedge_http_requests_total{route=\"/predict\",status=\"200\"} 2\n");
    EXPECT_THROW(f.with({"/predict"}), std::invalid_argument);
    EXPECT_THROW(f.with({"/predict", "200", "extra"}), std::invalid_argument);
}

TEST(Metrics, RendersGauges) {
    Registry r;
    auto& g = r.gauge("queue_depth", "Jobs waiting.");
    g.set(2.5);
    g.inc();
    g.dec(0.5);
    EXPECT_EQ(g.value(), 3);
    auto& f = r.gauge_family("pool_connections", "Connections by state.", {"state"});
    f.with({"idle"}).set(4);
    f.with({"busy"}).set(-1.5);
    EXPECT_EQ(r.render(), "# HELP pool_connections Connections by state.\n"
                          "# TYPE pool_connections gauge\n"
                          "pool_connections{state=\"busy\"} -1.5\n"
                          "pool_connections{state=\"idle\"} 4\n"
                          "# HELP queue_depth Jobs waiting.\n"
                          "# TYPE queue_depth gauge\n"
                          "queue_depth 3\n");
}

TEST(Metrics, NumbersAreIntegersRoundTripDoublesOrPrometheusSpecials) {
    Registry r;
    auto& f = r.gauge_family("v", "", {"k"});
    f.with({"a"}).set(std::numeric_limits<double>::infinity());
    f.with({"b"}).set(-std::numeric_limits<double>::infinity());
    f.with({"c"}).set(std::nan(""));
    f.with({"d"}).set(1e18);
    f.with({"e"}).set(0.1);
    f.with({"f"}).set(1.0 / 3);
    f.with({"g"}).set(-0.0);
    f.with({"h"}).set(1e-7);
    EXPECT_EQ(r.render(),  // no HELP line for empty help
              "# TYPE v gauge\n"
              "v{k=\"a\"} +Inf\n"
              "v{k=\"b\"} -Inf\n"
              "v{k=\"c\"} NaN\n"
              "v{k=\"d\"} 1000000000000000000\n"
              "v{k=\"e\"} 0.1\n"
              "v{k=\"f\"} 0.3333333333333333\n"
              "v{k=\"g\"} 0\n"
              "v{k=\"h\"} 1e-07\n");
    EXPECT_EQ(std::stod("0.3333333333333333"), 1.0 / 3);
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
    Registry r;
    auto& h = r.histogram("job_seconds", "Job run time.", {0.5, 1, 5});
    for (double v : {0.25, 0.5, 2.0, 8.0}) h.observe(v);  // 0.5 is inclusive: "le"
    EXPECT_EQ(h.count(), 4u);
    EXPECT_EQ(h.sum(), 10.75);
    EXPECT_EQ(r.render(), "# HELP job_seconds Job run time.\n"
                          "# TYPE job_seconds histogram\n"
                          "job_seconds_bucket{le=\"0.5\"} 2\n"
                          "job_seconds_bucket{le=\"1\"} 2\n"
                          "job_seconds_bucket{le=\"5\"} 3\n"
                          "job_seconds_bucket{le=\"+Inf\"} 4\n"
                          "job_seconds_sum 10.75\n"
                          "job_seconds_count 4\n");
}

TEST(Metrics, LabelledHistogramWithDefaultLatencyBuckets) {
    const std::vector<double> expected = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
    EXPECT_EQ(voltedge::observability::latency_buckets(), expected);
    Registry r;
    auto& f = r.histogram_family("voltedge_http_request_duration_seconds", "Latency.", {"route"});
    f.with({"/predict"}).observe(0.003);
    f.with({"/predict"}).observe(10);
    const std::string text = r.render();
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0005\"} 0\n"),
              std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.0025\"} 0\n"),
              std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_bucket{route=\"/predict\",le=\"0.005\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_bucket{route=\"/predict\",le=\"5\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_sum{route=\"/predict\"} 10.003\n"), std::string::npos);
    EXPECT_NE(text.find("voltedge_http_request_duration_seconds_count{route=\"/predict\"} 2\n"), std::string::npos);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2 + 14 + 2);
}

TEST(Metrics, HistogramPutsNanOnlyInTheInfBucket) {
    Registry r;
    auto& h = r.histogram("h", "H.", {1, std::numeric_limits<double>::infinity()});  // a trailing +Inf is implied anyway
    h.observe(std::nan(""));
    EXPECT_EQ(r.render(),
              "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum NaN\nh_count 1\n");
}

TEST(Metrics, CallbackGaugesAreEvaluatedAtRenderAndCanBeReplacedOrRemoved) {
    Registry r;
    bool up = false;
    r.gauge_callback("voltedge_redis_up", "Whether the shared cache is reachable.", [&] { return up ? 1.0 : 0.0; });
    r.gauge_callback("voltedge_model_info", "The model version served per tenant (value 1).",
                     {"tenant", "model", "version", "family"}, [] {
                         return GaugeSamples{{{"t2", "m", "3", "lgbm"}, 1}, {{"t1", "m", "7", "ridge"}, 1}};
                     });
    const std::string model_info = "# HELP voltedge_model_info The model version served per tenant (value 1).\n"
                                   "# TYPE voltedge_model_info gauge\n"
                                   "voltedge_model_info{tenant=\"t1\",model=\"m\",version=\"7\",family=\"ridge\"} 1\n"
                                   "voltedge_model_info{tenant=\"t2\",model=\"m\",version=\"3\",family=\"lgbm\"} 1\n";
    const std::string redis_help =
        "# HELP voltedge_redis_up Whether the shared cache is reachable.\n# TYPE voltedge_redis_up gauge\n";
    EXPECT_EQ(r.render(), model_info + redis_help + "voltedge_redis_up 0\n");
    up = true;
    EXPECT_EQ(r.render(), model_info + redis_help + "voltedge_redis_up 1\n");

    r.gauge_callback("voltedge_redis_up", "Whether the shared cache is reachable.", [] { return 0.5; });  // replaced
    EXPECT_EQ(r.render(), model_info + redis_help + "voltedge_redis_up 0.5\n");

    EXPECT_TRUE(r.remove("voltedge_model_info"));
    EXPECT_FALSE(r.remove("voltedge_model_info"));
    EXPECT_EQ(r.render(), redis_help + "voltedge_redis_up 0.5\n");
    // A restarted server registers again, with a different label set if it likes.
    r.gauge_callback("voltedge_model_info", "Models.", {"tenant"}, [] { return GaugeSamples{}; });
    EXPECT_EQ(r.render(), redis_help + "voltedge_redis_up 0.5\n");  // no series: left out

    r.counter("c_total", "C.");
    EXPECT_THROW(r.remove("c_total"), std::logic_error);
}

TEST(Metrics, RemoveWaitsForARunningCallback) {
    Registry r;
    std::atomic<bool> entered{false}, finished{false};
    r.gauge_callback("slow", "Slow.", [&] {
        entered = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        finished = true;
        return 1.0;
    });
    std::thread scraper([&r] { r.render(); });
    while (!entered) std::this_thread::yield();
    EXPECT_TRUE(r.remove("slow"));
    EXPECT_TRUE(finished);  // what the callback captured may now be destroyed
    scraper.join();
    EXPECT_EQ(r.render(), "");
}

TEST(Metrics, CallbackSamplesWithTheWrongLabelCountFailTheRender) {
    Registry r;
    r.gauge_callback("g", "G.", {"a", "b"}, [] { return GaugeSamples{{{"x"}, 1}}; });
    EXPECT_THROW(r.render(), std::invalid_argument);
}

TEST(Metrics, FamiliesAreSortedByNameAndEmptyOnesLeftOut) {
    Registry r;
    r.counter("zz_total", "Z.").inc();
    r.counter_family("mm_total", "M.", {"k"});  // no series yet
    r.gauge("aa", "A.").set(1);
    EXPECT_EQ(r.render(), "# HELP aa A.\n# TYPE aa gauge\naa 1\n# HELP zz_total Z.\n# TYPE zz_total counter\nzz_total 1\n");
}

TEST(Metrics, RegistrationIsIdempotentAndConflictsThrow) {
    Registry r;
    auto& a = r.counter_family("requests_total", "Requests.", {"route", "status"});
    auto& b = r.counter_family("requests_total", "Other help is ignored.", {"route", "status"});
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(&r.counter("hits_total", "Hits."), &r.counter("hits_total", "Hits."));
    EXPECT_EQ(&r.histogram("h", "H.", {1, 2}), &r.histogram("h", "H.", {1, 2}));

    EXPECT_THROW(r.gauge_family("requests_total", "Requests.", {"route", "status"}), std::logic_error);
    EXPECT_THROW(r.counter_family("requests_total", "Requests.", {"status", "route"}), std::logic_error);
    EXPECT_THROW(r.counter("requests_total", "Requests."), std::logic_error);
    EXPECT_THROW(r.histogram("h", "H.", {1, 3}), std::logic_error);
    EXPECT_THROW(r.gauge_callback("hits_total", "Hits.", [] { return 1.0; }), std::logic_error);
    r.gauge_callback("cb", "Cb.", [] { return 1.0; });
    EXPECT_THROW(r.gauge("cb", "Cb."), std::logic_error);
}

TEST(Metrics, BadNamesAndBucketsAreRejected) {
    Registry r;
    for (const char* name : {"", "1abc", "a-b", "a b", "é", "a.b"})
        EXPECT_THROW(r.counter(name, "X."), std::invalid_argument) << name;
    EXPECT_NO_THROW(r.counter("ns:sub_system_2_total", "X."));
    EXPECT_NO_THROW(r.counter("_x", "X."));
    for (const char* label : {"", "__reserved", "a:b", "1a", "a-b"})
        EXPECT_THROW(r.counter_family("good_total", "X.", {label}), std::invalid_argument) << label;
    EXPECT_THROW(r.counter_family("good_total", "X.", {"a", "a"}), std::invalid_argument);
    EXPECT_THROW(r.histogram_family("h", "H.", {"le"}), std::invalid_argument);
    EXPECT_THROW(r.histogram("h", "H.", {2, 1}), std::invalid_argument);
    EXPECT_THROW(r.histogram("h", "H.", {1, 1}), std::invalid_argument);
    EXPECT_THROW(r.histogram("h", "H.", {std::nan(""), 1}), std::invalid_argument);
    EXPECT_THROW(r.gauge_callback("bad name", "X.", [] { return 1.0; }), std::invalid_argument);
    EXPECT_EQ(r.render().find("good_total"), std::string::npos);  // nothing half-registered
}

TEST(Metrics, ConcurrentUpdatesFromFourThreadsAddUpExactly) {
    Registry r;
    constexpr int kThreads = 4, kEach = 100'000;
    std::latch start(kThreads);  // all at once, so the threads really overlap
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&r, &start, t] {
            start.arrive_and_wait();
            // Lookups and registration race too, not only the increments.
            auto& total = r.counter("ops_total", "Ops.");
            auto& by_thread = r.counter_family("ops_by_parity_total", "Ops.", {"parity"}).with({t % 2 ? "odd" : "even"});
            auto& h = r.histogram("op_seconds", "Op time.", {0.5});
            auto& g = r.gauge("balance", "Balance.");
            auto& seconds = r.counter("busy_seconds_total", "Busy.");
            for (int i = 0; i < kEach; ++i) {
                total.inc();
                by_thread.inc(1.0);
                h.observe(i % 2 ? 1.0 : 0.25);
                g.inc(0.5);
                g.dec(0.25);
                seconds.inc(0.5);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(r.counter("ops_total", "Ops.").value(), kThreads * kEach);
    EXPECT_EQ(r.counter_family("ops_by_parity_total", "Ops.", {"parity"}).with({"odd"}).value(), 2 * kEach);
    auto& h = r.histogram("op_seconds", "Op time.", {0.5});
    EXPECT_EQ(h.cumulative_counts(), (std::vector<std::uint64_t>{kThreads * kEach / 2, kThreads * kEach}));
    EXPECT_EQ(h.sum(), kThreads * kEach / 2 * 1.25);
    EXPECT_EQ(r.gauge("balance", "Balance.").value(), kThreads * kEach * 0.25);
    EXPECT_EQ(r.counter("busy_seconds_total", "Busy.").value(), kThreads * kEach * 0.5);
    EXPECT_NE(r.render().find("ops_total 400000\n"), std::string::npos);
}

TEST(Metrics, TheDefaultRegistryIsOneInstance) {
    EXPECT_EQ(&voltedge::observability::metrics(), &voltedge::observability::metrics());
}

// ---- log context ----

TEST(LogContext, LinesWithoutAContextAreUnchanged) {
    const auto lines = logged_lines([] { voltedge::log_event("info", "plain", {{"k", 1}}); });
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].value("event", ""), "plain");
    EXPECT_EQ(lines[0].value("k", 0), 1);
    EXPECT_FALSE(lines[0].contains("request_id"));
    EXPECT_EQ(voltedge::log_context(), "");
}

TEST(LogContext, AppearsOnThisThreadsLinesOnly) {
    const auto lines = logged_lines([] {
        ScopedLogContext scope({.request_id = "req-\"1\"", .tenant_id = "acme", .job_id = ""});
        voltedge::log_event("info", "here", {{"k", 1}});
        std::thread([] { voltedge::log_event_raw("info", "elsewhere", "\"k\":2"); }).join();
        voltedge::log_event_raw("info", "here_raw", "");
    });
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].value("event", ""), "here");
    EXPECT_EQ(lines[0].value("request_id", ""), "req-\"1\"");  // escaped on the way in, so the line still parses
    EXPECT_EQ(lines[0].value("tenant_id", ""), "acme");
    EXPECT_FALSE(lines[0].contains("job_id"));  // empty fields are left out
    EXPECT_EQ(lines[0].value("k", 0), 1);
    EXPECT_EQ(lines[1].value("event", ""), "elsewhere");
    EXPECT_FALSE(lines[1].contains("request_id"));
    EXPECT_FALSE(lines[1].contains("tenant_id"));
    EXPECT_EQ(lines[1].value("k", 0), 2);
    EXPECT_EQ(lines[2].value("event", ""), "here_raw");
    EXPECT_EQ(lines[2].value("tenant_id", ""), "acme");
    EXPECT_EQ(current_log_context().request_id, "");  // gone with the scope
    EXPECT_EQ(voltedge::log_context(), "");
}

TEST(LogContext, TheRenderedFieldsAreExactAndOrdered) {
    ScopedLogContext scope({.request_id = "r", .tenant_id = "t", .job_id = "j"});
    EXPECT_EQ(voltedge::log_context(), R"("request_id":"r","tenant_id":"t","job_id":"j")");
}

TEST(LogContext, NestedScopesInheritAndRestore) {
    {
        ScopedLogContext request({.request_id = "r1", .tenant_id = "", .job_id = ""});
        request.set_tenant("acme");
        EXPECT_EQ(current_log_context().tenant_id, "acme");
        {
            ScopedLogContext job({.request_id = "", .tenant_id = "", .job_id = "j9"});
            EXPECT_EQ(current_log_context().request_id, "r1");  // inherited
            EXPECT_EQ(current_log_context().tenant_id, "acme");
            EXPECT_EQ(current_log_context().job_id, "j9");
            EXPECT_EQ(voltedge::log_context(), R"("request_id":"r1","tenant_id":"acme","job_id":"j9")");
            EXPECT_THROW(request.set_tenant("other"), std::logic_error);  // would clobber the inner scope
            const auto lines = logged_lines([] { voltedge::log_info("nested"); });
            ASSERT_EQ(lines.size(), 1u);
            EXPECT_EQ(lines[0].value("job_id", ""), "j9");
            EXPECT_EQ(lines[0].value("request_id", ""), "r1");
        }
        EXPECT_EQ(current_log_context().job_id, "");
        EXPECT_EQ(voltedge::log_context(), R"("request_id":"r1","tenant_id":"acme")");
        {
            ScopedLogContext other({.request_id = "r2", .tenant_id = "", .job_id = ""});
            EXPECT_EQ(current_log_context().request_id, "r2");
        }
        EXPECT_EQ(current_log_context().request_id, "r1");
    }
    EXPECT_EQ(current_log_context().request_id, "");
    EXPECT_EQ(current_log_context().tenant_id, "");
    EXPECT_EQ(voltedge::log_context(), "");
}

// ---- traces ----

namespace {

using voltedge::observability::current_trace_context;
using voltedge::observability::format_traceparent;
using voltedge::observability::parse_traceparent;
using voltedge::observability::Span;
using voltedge::observability::SpanKind;
using voltedge::observability::TracingOptions;

// The OTLP bodies the exporter posted while tracing ran, parsed. The post function stands in for the HTTP client
// the binary gives (the integration test Tracing.* sends to a real Jaeger).
class CapturedTraces {
public:
    explicit CapturedTraces(double ratio = 1.0, std::size_t queue_limit = 16384, long status = 200) {
        TracingOptions options;
        options.endpoint = "http://collector.invalid:4318/";
        options.sample_ratio = ratio;
        options.service_name = "voltedge-test";
        options.queue_limit = queue_limit;
        options.protocol = voltedge::observability::OtlpProtocol::json;  // parsed here; protobuf: Tracing.Protobuf*
        voltedge::observability::start_tracing(options, [this, status](const std::string& url, const std::string& body,
                                                                       const std::string&) {
            std::lock_guard lock(mutex_);
            urls_.push_back(url);
            bodies_.push_back(nlohmann::json::parse(body));
            return status;
        });
    }
    ~CapturedTraces() { voltedge::observability::stop_tracing(); }

    // Every exported span, flattened, after a flush.
    std::vector<nlohmann::json> spans() {
        voltedge::observability::flush_traces();
        std::lock_guard lock(mutex_);
        std::vector<nlohmann::json> out;
        for (const auto& body : bodies_)
            for (const auto& rs : body["resourceSpans"])
                for (const auto& ss : rs["scopeSpans"])
                    for (const auto& s : ss["spans"]) out.push_back(s);
        return out;
    }
    std::vector<std::string> urls() {
        std::lock_guard lock(mutex_);
        return urls_;
    }
    nlohmann::json first_body() {
        voltedge::observability::flush_traces();
        std::lock_guard lock(mutex_);
        return bodies_.at(0);
    }

private:
    std::mutex mutex_;
    std::vector<std::string> urls_;
    std::vector<nlohmann::json> bodies_;
};

nlohmann::json span_named(const std::vector<nlohmann::json>& spans, const std::string& name) {
    for (const auto& s : spans)
        if (s["name"] == name) return s;
    ADD_FAILURE() << "no span named " << name;
    return nlohmann::json::object();
}

nlohmann::json attribute(const nlohmann::json& span, const std::string& key) {
    for (const auto& a : span["attributes"])
        if (a["key"] == key) return a["value"];
    return nullptr;
}

}  // namespace

TEST(Tracing, ParsesAndFormatsW3CTraceparent) {
    const std::string header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const auto c = parse_traceparent(header);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(c->span_id_hex(), "00f067aa0ba902b7");
    EXPECT_TRUE(c->sampled);
    EXPECT_EQ(format_traceparent(*c), header);
    EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled);
    // A later version may append fields; version 00 may not.
    EXPECT_TRUE(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"));
    for (const char* bad :
         {"", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff is invalid
          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace id
          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span id
          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
          "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",  // not hex
          "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0\n"})
        EXPECT_FALSE(parse_traceparent(bad)) << bad;
}

TEST(Tracing, NothingIsRecordedWhenTracingIsOff) {
    Span span("off");
    EXPECT_FALSE(span.recording());
    EXPECT_FALSE(span.context().valid());
    EXPECT_EQ(current_trace_context(), nullptr);
    EXPECT_EQ(voltedge::observability::current_traceparent(), "");
}

TEST(Tracing, ExportsNestedSpansAsOtlpJson) {
    CapturedTraces traces;
    std::string root_trace, root_span;
    {
        Span root("POST /predict", SpanKind::server);
        root.set("http.route", "/predict");
        root.set("http.response.status_code", 200);
        root.set("sampled.share", 0.5);
        root.set("cache.hit", true);
        root_trace = root.context().trace_id_hex();
        root_span = root.context().span_id_hex();
        ASSERT_EQ(current_trace_context(), &root.context());
        {
            Span child("db tenant_transaction", SpanKind::client);
            child.add_event("retry", "once");
            child.set_error("connection reset");
            EXPECT_EQ(child.context().trace_id_hex(), root_trace);
        }
        EXPECT_EQ(current_trace_context(), &root.context());
    }
    EXPECT_EQ(current_trace_context(), nullptr);
    const auto spans = traces.spans();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(traces.urls().at(0), "http://collector.invalid:4318/v1/traces");

    const auto root = span_named(spans, "POST /predict"), child = span_named(spans, "db tenant_transaction");
    EXPECT_EQ(root["traceId"], root_trace);
    EXPECT_EQ(root["spanId"], root_span);
    EXPECT_FALSE(root.contains("parentSpanId"));
    EXPECT_EQ(root["kind"], 2);
    EXPECT_EQ(attribute(root, "http.route"), (nlohmann::json{{"stringValue", "/predict"}}));
    EXPECT_EQ(attribute(root, "http.response.status_code"), (nlohmann::json{{"intValue", "200"}}));
    EXPECT_EQ(attribute(root, "sampled.share"), (nlohmann::json{{"doubleValue", 0.5}}));
    EXPECT_EQ(attribute(root, "cache.hit"), (nlohmann::json{{"boolValue", true}}));
    EXPECT_EQ(root["status"]["code"], 0);
    EXPECT_LE(std::stoll(root["startTimeUnixNano"].get<std::string>()), std::stoll(root["endTimeUnixNano"].get<std::string>()));

    EXPECT_EQ(child["traceId"], root_trace);
    EXPECT_EQ(child["parentSpanId"], root_span);
    EXPECT_EQ(child["kind"], 3);
    EXPECT_EQ(child["status"]["code"], 2);
    EXPECT_EQ(child["status"]["message"], "connection reset");
    ASSERT_EQ(child["events"].size(), 2u);
    EXPECT_EQ(child["events"][0]["name"], "retry");
    EXPECT_EQ(child["events"][1]["name"], "exception");
    EXPECT_EQ(child["events"][1]["attributes"][0]["key"], "exception.message");

    const auto body = traces.first_body();
    const auto& resource = body["resourceSpans"][0]["resource"]["attributes"];
    EXPECT_EQ(resource[0]["key"], "service.name");
    EXPECT_EQ(resource[0]["value"]["stringValue"], "voltedge-test");
    EXPECT_EQ(body["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "voltedge.observability");
}

TEST(Tracing, ContinuesARemoteParentAndFollowsItsSamplingDecision) {
    CapturedTraces traces(0.0);  // new traces are never sampled ...
    const auto sampled = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    {
        Span server("GET /search", SpanKind::server, sampled);  // ... but a sampled caller's trace is
        EXPECT_TRUE(server.recording());
        Span inner("search.fts");
        EXPECT_TRUE(inner.recording());
    }
    {
        Span unsampled("GET /healthz", SpanKind::server, std::nullopt);
        EXPECT_FALSE(unsampled.recording());
        // Not recorded, yet its context still travels so a downstream service sees one trace.
        EXPECT_TRUE(unsampled.context().valid());
        EXPECT_FALSE(unsampled.context().sampled);
        EXPECT_EQ(voltedge::observability::current_traceparent(), format_traceparent(unsampled.context()));
    }
    const auto spans = traces.spans();
    ASSERT_EQ(spans.size(), 2u);
    const auto server = span_named(spans, "GET /search");
    EXPECT_EQ(server["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(server["parentSpanId"], "00f067aa0ba902b7");
    EXPECT_EQ(span_named(spans, "search.fts")["parentSpanId"], server["spanId"]);
}

TEST(Tracing, RatioSamplesAboutThatShareOfNewTraces) {
    CapturedTraces traces(0.25);
    for (int i = 0; i < 4000; ++i) Span root("root");
    const auto n = static_cast<double>(traces.spans().size());
    EXPECT_GT(n, 4000 * 0.25 * 0.8);
    EXPECT_LT(n, 4000 * 0.25 * 1.2);
}

TEST(Tracing, LogLinesCarryTheCurrentSpansIds) {
    CapturedTraces traces;
    std::string trace_id, span_id;
    const auto lines = logged_lines([&] {
        ScopedLogContext request({"req-1", "tenant-a", ""});
        Span span("POST /ask", SpanKind::server);
        trace_id = span.context().trace_id_hex();
        span_id = span.context().span_id_hex();
        voltedge::log_info("inside");
        span.end();
        voltedge::log_info("after");
    });
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["request_id"], "req-1");
    EXPECT_EQ(lines[0]["trace_id"], trace_id);
    EXPECT_EQ(lines[0]["span_id"], span_id);
    EXPECT_FALSE(lines[1].contains("trace_id"));
}

TEST(Tracing, AFullQueueDropsSpansInsteadOfBlocking) {
    std::latch release(1);
    std::atomic<int> posts{0};
    TracingOptions options;
    options.endpoint = "http://collector.invalid:4318";
    options.queue_limit = 10;
    options.batch_size = 5;
    voltedge::observability::start_tracing(options, [&](const std::string&, const std::string&, const std::string&) {
        ++posts;
        release.wait();  // a collector that hangs
        return 200L;
    });
    for (int i = 0; i < 100; ++i) Span span("s");  // never waits for the hung export
    const auto stats = voltedge::observability::tracing_stats();
    EXPECT_GE(stats.dropped, 80u);
    release.count_down();
    voltedge::observability::stop_tracing();
    const auto after = voltedge::observability::tracing_stats();
    EXPECT_EQ(after.exported, 0u);  // stopped: stats are gone with the exporter
}

TEST(Tracing, AFailingCollectorIsCountedNotFatal) {
    CapturedTraces traces(1.0, 16384, 503);
    { Span span("s"); }
    traces.spans();
    const auto stats = voltedge::observability::tracing_stats();
    EXPECT_EQ(stats.failed, 1u);
    EXPECT_EQ(stats.exported, 0u);
    EXPECT_NE(stats.last_error.find("503"), std::string::npos);
}

TEST(Tracing, SuppressedThreadsRecordNothing) {
    CapturedTraces traces;
    {
        voltedge::observability::SuppressTracing quiet;
        Span span("the exporter's own HTTP call");
        EXPECT_FALSE(span.recording());
    }
    EXPECT_TRUE(traces.spans().empty());
}

TEST(Tracing, SpansFromManyThreadsAreAllExported) {
    CapturedTraces traces;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([] {
            for (int i = 0; i < 500; ++i) {
                Span outer("outer");
                Span inner("inner");
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(traces.spans().size(), 8000u);
}

TEST(Tracing, AJobContinuesTheTraceOfItsSubmitter) {
    CapturedTraces traces;
    voltedge::jobs::HandlerRegistry handlers;
    handlers.add("echo", "returns its payload", [](const voltedge::jobs::Job& job) { return job.payload; });
    voltedge::jobs::Job job("echo", "tenant-a");
    job.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";  // what the API's span wrote
    handlers.run(job);
    const auto spans = traces.spans();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0]["name"], "job echo");
    EXPECT_EQ(spans[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(spans[0]["parentSpanId"], "00f067aa0ba902b7");
    EXPECT_EQ(spans[0]["kind"], 5);
    EXPECT_EQ(attribute(spans[0], "tenant.id"), (nlohmann::json{{"stringValue", "tenant-a"}}));
}

TEST(Tracing, ErrorMessagesPassThroughTheLogFilter) {
    voltedge::set_log_filter([](std::string_view line) {
        std::string s(line);
        for (auto at = s.find("hunter2"); at != std::string::npos; at = s.find("hunter2")) s.replace(at, 7, "***");
        return s;
    });
    CapturedTraces traces;
    {
        Span span("connect");
        span.set_error("cannot connect with password hunter2");
        span.add_event("retry", "hunter2 again");
    }
    const auto spans = traces.spans();
    voltedge::set_log_filter(nullptr);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0]["status"]["message"], "cannot connect with password ***");
    EXPECT_EQ(spans[0].dump().find("hunter2"), std::string::npos) << spans[0].dump();
}

TEST(Tracing, AttributeTextIsEscapedIntoValidJson) {
    CapturedTraces traces;
    {
        Span span("quote \" backslash \\ newline \n tab \t");
        span.set("bytes", std::string_view("caf\xc3\xa9 and a bad byte \xff"));
        span.set("control", std::string_view("\x01\x1f", 2));
    }
    const auto spans = traces.spans();  // parsed: the body is valid JSON
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0]["name"], "quote \" backslash \\ newline \n tab \t");
    EXPECT_EQ(attribute(spans[0], "control")["stringValue"], std::string("\x01\x1f", 2));
    EXPECT_EQ(attribute(spans[0], "bytes")["stringValue"].get<std::string>().rfind("caf\xc3\xa9 and a bad byte ", 0), 0u);
}

// A protobuf message read back field by field (enough wire format for OTLP: varints, fixed64, length-delimited).
struct ProtoField {
    int number = 0, wire = 0;
    std::uint64_t number_value = 0;  // varint or fixed64
    std::string bytes;               // length-delimited
};

std::vector<ProtoField> proto_fields(std::string_view message) {
    std::vector<ProtoField> out;
    std::size_t i = 0;
    const auto varint = [&] {
        std::uint64_t v = 0;
        for (int shift = 0;; shift += 7) {
            if (i >= message.size() || shift > 63) throw std::runtime_error("truncated varint");
            const auto b = static_cast<unsigned char>(message[i++]);
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
    };
    while (i < message.size()) {
        ProtoField f;
        const std::uint64_t key = varint();
        f.number = static_cast<int>(key >> 3);
        f.wire = static_cast<int>(key & 7);
        if (f.wire == 0) {
            f.number_value = varint();
        } else if (f.wire == 1) {
            if (i + 8 > message.size()) throw std::runtime_error("truncated fixed64");
            for (int b = 0; b < 8; ++b)
                f.number_value |= static_cast<std::uint64_t>(static_cast<unsigned char>(message[i + b])) << (8 * b);
            i += 8;
        } else if (f.wire == 2) {
            const std::uint64_t n = varint();
            if (i + n > message.size()) throw std::runtime_error("length past the end");
            f.bytes = std::string(message.substr(i, n));
            i += n;
        } else {
            throw std::runtime_error("unexpected wire type " + std::to_string(f.wire));
        }
        out.push_back(f);
    }
    return out;
}

std::vector<ProtoField> proto_all(const std::vector<ProtoField>& fields, int number) {
    std::vector<ProtoField> out;
    std::copy_if(fields.begin(), fields.end(), std::back_inserter(out), [&](const ProtoField& f) { return f.number == number; });
    return out;
}

ProtoField proto_one(const std::vector<ProtoField>& fields, int number) {
    const auto all = proto_all(fields, number);
    if (all.size() != 1)
        throw std::runtime_error("field " + std::to_string(number) + " appears " + std::to_string(all.size()) + " times");
    return all[0];
}

// KeyValue list -> key: AnyValue fields
std::map<std::string, std::vector<ProtoField>> proto_attributes(const std::vector<ProtoField>& fields, int number) {
    std::map<std::string, std::vector<ProtoField>> out;
    for (const auto& kv : proto_all(fields, number)) {
        const auto pair = proto_fields(kv.bytes);
        out[proto_one(pair, 1).bytes] = proto_fields(proto_one(pair, 2).bytes);
    }
    return out;
}

TEST(Tracing, ProtobufBodiesFollowTheOtlpSchema) {
    using voltedge::observability::SpanRecord;
    TracingOptions options;
    options.service_name = "voltedge-test";
    options.service_version = "abc123";
    options.protocol = voltedge::observability::OtlpProtocol::protobuf;
    SpanRecord parent, child;
    parent.context.trace_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    parent.context.span_id = {1, 1, 1, 1, 1, 1, 1, 1};
    parent.name = "POST /predict";
    parent.kind = SpanKind::server;
    parent.start_ns = 1'700'000'000'000'000'000;
    parent.end_ns = parent.start_ns + 54'000;
    const auto add = [](SpanRecord& r, std::string_view key, auto setter) {
        auto& a = r.attributes.emplace_back();
        a.key = key;
        setter(a);
    };
    add(parent, "http.route", [](auto& a) { a.text = "/predict"; });
    add(parent, "http.response.status_code",
        [](auto& a) { a.type = voltedge::observability::SpanAttribute::Type::integer, a.integer = -7; });
    add(parent, "cache.hit", [](auto& a) { a.type = voltedge::observability::SpanAttribute::Type::boolean, a.boolean = true; });
    add(parent, "search.recall", [](auto& a) { a.type = voltedge::observability::SpanAttribute::Type::real, a.real = 0.75; });
    add(parent, "bytes", [](auto& a) { a.text = "caf\xc3\xa9 \xff end"; });
    add(parent, "long", [](auto& a) { a.text = std::string(300, 'x'); });  // lengths past one varint byte
    child = parent;
    child.context.span_id = {2, 2, 2, 2, 2, 2, 2, 2};
    child.parent_span_id = parent.context.span_id;
    child.name = "db tenant_transaction";
    child.kind = SpanKind::client;
    child.attributes.clear();
    child.error = true;
    child.status_message = "connection refused";
    child.events.push_back({child.start_ns + 1, "exception", "connection refused"});

    const std::string body = voltedge::observability::otlp_body({parent, child}, options);
    EXPECT_EQ(voltedge::observability::content_type(options.protocol), "application/x-protobuf");
    const auto request = proto_fields(body);
    const auto resource_spans = proto_fields(proto_one(request, 1).bytes);
    const auto resource = proto_attributes(proto_fields(proto_one(resource_spans, 1).bytes), 1);
    EXPECT_EQ(proto_one(resource.at("service.name"), 1).bytes, "voltedge-test");
    EXPECT_EQ(proto_one(resource.at("service.version"), 1).bytes, "abc123");
    const auto scope_spans = proto_fields(proto_one(resource_spans, 2).bytes);
    const auto scope = proto_fields(proto_one(scope_spans, 1).bytes);
    EXPECT_EQ(proto_one(scope, 1).bytes, "voltedge.observability");
    const auto spans = proto_all(scope_spans, 2);
    ASSERT_EQ(spans.size(), 2u);

    const auto p = proto_fields(spans[0].bytes);
    EXPECT_EQ(proto_one(p, 1).bytes, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16));
    EXPECT_EQ(proto_one(p, 2).bytes, std::string(8, '\x01'));
    EXPECT_TRUE(proto_all(p, 4).empty());  // a root: no parent
    EXPECT_EQ(proto_one(p, 5).bytes, "POST /predict");
    EXPECT_EQ(proto_one(p, 6).number_value, 2u);  // SPAN_KIND_SERVER
    EXPECT_EQ(proto_one(p, 7).wire, 1);
    EXPECT_EQ(proto_one(p, 7).number_value, 1'700'000'000'000'000'000u);
    EXPECT_EQ(proto_one(p, 8).number_value - proto_one(p, 7).number_value, 54'000u);
    const auto attributes = proto_attributes(p, 9);
    EXPECT_EQ(proto_one(attributes.at("http.route"), 1).bytes, "/predict");
    EXPECT_EQ(static_cast<std::int64_t>(proto_one(attributes.at("http.response.status_code"), 3).number_value), -7);
    EXPECT_EQ(proto_one(attributes.at("cache.hit"), 2).number_value, 1u);
    double recall = 0;
    const std::uint64_t bits = proto_one(attributes.at("search.recall"), 4).number_value;
    std::memcpy(&recall, &bits, sizeof recall);
    EXPECT_EQ(recall, 0.75);
    EXPECT_EQ(proto_one(attributes.at("bytes"), 1).bytes, "caf\xc3\xa9 \xef\xbf\xbd end");  // the bad byte replaced
    EXPECT_EQ(proto_one(attributes.at("long"), 1).bytes, std::string(300, 'x'));
    EXPECT_TRUE(proto_all(p, 15).empty());  // status unset

    const auto c = proto_fields(spans[1].bytes);
    EXPECT_EQ(proto_one(c, 4).bytes, std::string(8, '\x01'));
    EXPECT_EQ(proto_one(c, 6).number_value, 3u);  // SPAN_KIND_CLIENT
    const auto status = proto_fields(proto_one(c, 15).bytes);
    EXPECT_EQ(proto_one(status, 3).number_value, 2u);  // STATUS_CODE_ERROR
    EXPECT_EQ(proto_one(status, 2).bytes, "connection refused");
    const auto event = proto_fields(proto_one(c, 11).bytes);
    EXPECT_EQ(proto_one(event, 2).bytes, "exception");
    EXPECT_EQ(proto_one(proto_attributes(event, 3).at("exception.message"), 1).bytes, "connection refused");

    // The encoder writes into room it sizes beforehand: text that triples (every byte invalid, each becoming
    // U+FFFD) in every string field of a span must still fit, and come out whole.
    SpanRecord worst = child;
    const std::string bad(200, '\xff'), replaced = [] {
        std::string r;
        for (int i = 0; i < 200; ++i) r += "\xef\xbf\xbd";
        return r;
    }();
    worst.name = bad;
    worst.status_message = bad;
    worst.events = {{1, bad, bad}, {2, "exception", bad}};
    add(worst, "k", [&](auto& a) { a.text = bad; });
    const auto worst_request = proto_fields(voltedge::observability::otlp_body({worst}, options));
    const auto worst_scope_spans = proto_fields(proto_one(proto_fields(proto_one(worst_request, 1).bytes), 2).bytes);
    const auto w = proto_fields(proto_one(worst_scope_spans, 2).bytes);
    EXPECT_EQ(proto_one(w, 5).bytes, replaced);
    EXPECT_EQ(proto_one(proto_attributes(w, 9).at("k"), 1).bytes, replaced);
    EXPECT_EQ(proto_one(proto_fields(proto_one(w, 15).bytes), 2).bytes, replaced);
    const auto events = proto_all(w, 11);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(proto_one(proto_fields(events[0].bytes), 2).bytes, replaced);
    EXPECT_EQ(proto_one(proto_attributes(proto_fields(events[0].bytes), 3).at("message"), 1).bytes, replaced);
    EXPECT_EQ(proto_one(proto_attributes(proto_fields(events[1].bytes), 3).at("exception.message"), 1).bytes, replaced);
}

TEST(Tracing, TheExporterPostsProtobufByDefault) {
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> posted;  // content type, body
    TracingOptions options;
    options.endpoint = "http://collector.invalid:4318";
    voltedge::observability::start_tracing(options, [&](const std::string&, const std::string& body, const std::string& type) {
        std::lock_guard lock(mutex);
        posted.emplace_back(type, body);
        return 200L;
    });
    for (int i = 0; i < 3; ++i) Span span("s" + std::to_string(i));
    voltedge::observability::flush_traces();
    voltedge::observability::stop_tracing();
    ASSERT_EQ(posted.size(), 1u);
    EXPECT_EQ(posted[0].first, "application/x-protobuf");
    const auto scope_spans = proto_fields(proto_one(proto_fields(proto_one(proto_fields(posted[0].second), 1).bytes), 2).bytes);
    const auto spans = proto_all(scope_spans, 2);
    ASSERT_EQ(spans.size(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(proto_one(proto_fields(spans[i].bytes), 5).bytes, "s" + std::to_string(i));
}
