#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <latch>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/log.h"
#include "observability/log_context.h"
#include "observability/metrics.h"

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
