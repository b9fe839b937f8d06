// Traces through the real Jaeger of the local stack (scripts/devstack up starts it; make bootstrap builds it):
// an in-process API exports its spans over OTLP/HTTP, and the test finds each request's trace, with its child
// spans, through Jaeger's query API.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "api/server.h"
#include "core/hex.h"
#include "db/connection.h"
#include "evaluations/slo.h"
#include "http/client.h"
#include "observability/tracing.h"
#include "rag/encoder.h"
#include "rag/index.h"
#include "security/tenants.h"
#include "support.h"

using namespace voltedge;
using Json = nlohmann::json;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// scripts/devstack's ports.
const std::string kOtlpEndpoint = env_or("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:24318");
const std::string kJaegerQuery = env_or("VOLTEDGE_JAEGER_QUERY_URL", "http://127.0.0.1:26686");

std::string random_hex(std::size_t bytes) {
    std::random_device device;
    std::vector<unsigned char> b(bytes);
    for (auto& x : b) x = static_cast<unsigned char>(device());
    return to_hex(b.data(), b.size());
}

// The trace as Jaeger's query API returns it, once it holds at least `min_spans` spans (Jaeger indexes what
// it receives within a second or so); an empty object after 30 s.
Json jaeger_trace(const std::string& trace_id, std::size_t min_spans) {
    Json last = Json::object();
    for (int i = 0; i < 60; ++i) {
        http::ClientRequest request;
        request.url = kJaegerQuery + "/api/traces/" + trace_id;
        const auto r = http::send(request);
        if (r.status == 200) {
            const Json j = Json::parse(r.body);
            if (!j["data"].empty() && j["data"][0]["spans"].size() >= min_spans) return j["data"][0];
            last = j;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ADD_FAILURE() << "Jaeger has no trace " << trace_id << " with " << min_spans << " spans after 30 s: " << last.dump();
    return Json::object();
}

std::string tag(const Json& span, const std::string& key) {
    for (const auto& t : span["tags"])
        if (t["key"] == key) return t["value"].is_string() ? t["value"].get<std::string>() : t["value"].dump();
    return "";
}

const Json* span_named(const Json& trace, const std::string& name) {
    for (const auto& s : trace["spans"])
        if (s["operationName"] == name) return &s;
    return nullptr;
}

std::string parent_of(const Json& span) {
    for (const auto& r : span["references"])
        if (r["refType"] == "CHILD_OF") return r["spanID"];
    return "";
}

// Whether `span` descends from the span `ancestor_id` within `trace`.
bool descends_from(const Json& trace, const Json& span, const std::string& ancestor_id) {
    std::string at = parent_of(span);
    for (int depth = 0; depth < 64 && !at.empty(); ++depth) {
        if (at == ancestor_id) return true;
        std::string next;
        for (const auto& s : trace["spans"])
            if (s["spanID"] == at) next = parent_of(s);
        at = next;
    }
    return false;
}

std::vector<std::string> names_under(const Json& trace, const std::string& ancestor_id) {
    std::vector<std::string> out;
    for (const auto& s : trace["spans"])
        if (descends_from(trace, s, ancestor_id)) out.push_back(s["operationName"]);
    return out;
}

bool any_starts_with(const std::vector<std::string>& names, const std::string& prefix) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; });
}

const std::vector<rag::SourceDocument> kDocs = {
    {"guide/tenancy.md", "doc", "r1",
     "# Tenancy\n\nRow-level security keeps tenants apart: every query runs with the tenant set for its transaction, "
     "and a table's policy shows only that tenant's rows.\n"},
};

}  // namespace

TEST(Tracing, PredictAndAskTracesReachJaegerWithTheirChildSpans) {
    {
        http::ClientRequest probe;
        probe.url = kJaegerQuery + "/api/services";
        long status = 0;
        try {
            status = http::send(probe).status;
        } catch (const std::exception& e) {
            FAIL() << "Jaeger's query API at " << kJaegerQuery << " is unreachable (" << e.what()
                   << "): run 'make bootstrap' (builds Jaeger) and 'scripts/devstack up'";
        }
        ASSERT_EQ(status, 200) << "Jaeger's query API at " << kJaegerQuery;
    }
    const std::string t = test::new_tenant("trace");
    test::insert_usage(t, 40);
    test::train_and_promote(t, "linear");
    {
        const auto embedder = rag::Embedder::load(rag::default_model_dir());
        auto conn = db::connect(test::config().database_url);
        rag::index_documents(conn, t, kDocs, embedder);
    }
    const std::string key = security::issue_api_key(test::config().database_admin_url, t, false, "test");

    observability::TracingOptions options;
    options.endpoint = kOtlpEndpoint;
    options.service_name = "voltedge-test-" + t;
    options.flush_interval = std::chrono::milliseconds(200);
    observability::start_tracing(options, [](const std::string& url, const std::string& body, const std::string& content_type) {
        http::ClientRequest r;
        r.method = "POST";
        r.url = url;
        r.body = body;
        r.headers = {"Content-Type: " + content_type};  // protobuf, the default: the real Jaeger decodes it
        return http::send(r).status;
    });
    api::ApiServer server(test::config(), test::serve_options());
    server.start();
    for (int i = 0; i < 300; ++i) {  // the model loads in the background
        if (test::call_api(server.port(), "POST", "/predict", key, R"({"horizon_hours": 1})").status != 503) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    // The caller's trace context: the server's span must be its child, in the same trace.
    const std::string caller_span = "00f067aa0ba902b7";
    const std::string predict_trace = random_hex(16), ask_trace = random_hex(16);
    const auto predicted = test::call_api(server.port(), "POST", "/predict", key, R"({"horizon_hours": 3})",
                                          {"traceparent: 00-" + predict_trace + "-" + caller_span + "-01"});
    ASSERT_EQ(predicted.status, 200) << predicted.text;
    const auto asked = test::call_api(server.port(), "POST", "/ask", key,
                                      R"({"question": "How does row-level security keep tenants apart?"})",
                                      {"traceparent: 00-" + ask_trace + "-" + caller_span + "-01"});
    ASSERT_EQ(asked.status, 200) << asked.text;
    observability::flush_traces();
    EXPECT_EQ(observability::tracing_stats().failed, 0u) << observability::tracing_stats().last_error;

    const Json predict = jaeger_trace(predict_trace, 3);
    const Json* predict_root = span_named(predict, "POST /predict");
    ASSERT_TRUE(predict_root) << predict.dump();
    EXPECT_EQ(parent_of(*predict_root), caller_span);
    EXPECT_EQ(tag(*predict_root, "span.kind"), "server");
    EXPECT_EQ(tag(*predict_root, "http.route"), "/predict");
    EXPECT_EQ(tag(*predict_root, "http.request.method"), "POST");
    EXPECT_EQ(tag(*predict_root, "http.response.status_code"), "200");
    EXPECT_EQ(tag(*predict_root, "tenant.id"), t);
    EXPECT_FALSE(tag(*predict_root, "model.version").empty());
    const auto predict_children = names_under(predict, (*predict_root)["spanID"]);
    EXPECT_TRUE(any_starts_with(predict_children, "db ")) << Json(predict_children).dump();
    EXPECT_TRUE(any_starts_with(predict_children, "redis ")) << Json(predict_children).dump();
    for (const auto& s : predict["spans"]) {
        if (tag(s, "db.system") == "postgresql") {
            EXPECT_FALSE(tag(s, "db.operation.name").empty());
        }
    }

    const Json ask = jaeger_trace(ask_trace, 8);
    const Json* ask_root = span_named(ask, "POST /ask");
    ASSERT_TRUE(ask_root) << ask.dump();
    EXPECT_EQ(parent_of(*ask_root), caller_span);
    EXPECT_EQ(tag(*ask_root, "tenant.id"), t);
    EXPECT_NE(tag(*ask_root, "doc.refs").find("guide/tenancy.md"), std::string::npos) << ask_root->dump();
    const auto ask_children = names_under(ask, (*ask_root)["spanID"]);
    for (const char* expected : {"agent.node planner", "agent.node retrieve", "agent.node critic", "search.fts", "search.ann",
                                 "search.fusion", "embed", "db tenant_transaction"})
        EXPECT_NE(std::find(ask_children.begin(), ask_children.end(), expected), ask_children.end())
            << expected << " is not under POST /ask: " << Json(ask_children).dump();
    observability::stop_tracing();
}

// `voltedge slo check` reads the platform-wide objectives from the real Prometheus of the local stack; each
// query must be one Prometheus accepts.
TEST(Slo, CheckReadsThePlatformObjectivesFromPrometheus) {
    const std::string prometheus = env_or("VOLTEDGE_PROMETHEUS_URL", "http://127.0.0.1:29090");
    for (const auto& o : evaluations::prometheus_objectives(evaluations::SloConfig{})) {
        http::ClientRequest request;
        request.url = prometheus + "/api/v1/query?query=" + http::escape(o.query);
        http::ClientResponse r;
        ASSERT_NO_THROW(r = http::send(request)) << "Prometheus at " << prometheus << ": run scripts/devstack up";
        EXPECT_EQ(r.status, 200) << o.name << ": " << r.body;
        EXPECT_EQ(Json::parse(r.body)["status"], "success") << o.query;
    }
    const std::string t = test::new_tenant("slo-prom");
    // ctest runs this in the build tree: the SLO file is named by its full path, the test database by its URL.
    const std::string command = "DATABASE_URL='" + test::config().database_url +
                                "' VOLTEDGE_SLO=" VOLTEDGE_SOURCE_DIR "/configs/slo.json VOLTEDGE_PROMETHEUS_URL=" + prometheus +
                                " " VOLTEDGE_BIN " slo check --tenant " + t + " 2>&1";
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    ASSERT_TRUE(pipe);
    std::string output;
    char buffer[4096];
    while (const auto n = fread(buffer, 1, sizeof buffer, pipe.get())) output.append(buffer, n);
    for (const auto& o : evaluations::prometheus_objectives(evaluations::SloConfig{}))
        EXPECT_NE(output.find(o.name), std::string::npos) << output;
    EXPECT_NE(output.find("Prometheus: "), std::string::npos) << output;
    EXPECT_EQ(output.find("not reachable"), std::string::npos) << output;
}
