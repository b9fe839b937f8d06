#pragma once
// Helpers for tests against the real local stack (Postgres with pgvector, started by `make test`).
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "api/server.h"
#include "core/config.h"
#include "http/server.h"
#include "rag/encoder.h"

namespace voltedge::test {

// The environment's configuration, on the test database (its name + "_test").
const Config& config();
// Creates a tenant "test-<prefix>-<n>" with a fresh unique id (tests never share tenants). Its MLflow
// experiment and registered model are deleted when the test process ends.
std::string new_tenant(const std::string& prefix);
// Counts rows of `sql` as the application role with `tenant` set for one transaction ("" = none set).
long count_as_app(pqxx::connection& conn, const std::string& tenant, const std::string& sql);
std::string data_file(const std::string& name);
// `days` of synthetic usage from 2009-01-01 (plus `first_day` days) with a daily pattern, every minute of an
// hour at that hour's load plus `offset_kw` (usage_minute and usage_hourly), written as the application role.
void insert_usage(const std::string& tenant, int days, int first_day = 0, double offset_kw = 0);

// Builds the tenant's features, trains `family` (one short fold, horizons 1 and 24) and promotes it to production.
// `more_config`: further keys of the training config, e.g. R"("location": {...})".
void train_and_promote(const std::string& tenant, const std::string& family, const std::string& more_config = "");

int free_port();

// A tenant with this project's tree indexed as `make index` does it (docs, code, the data dictionary), made
// once per test process: the golden sets of retrieval and answers are scored on it.
std::string project_tree_tenant(const rag::Embedder& embedder);

// Options for an API server in a test: any free port, `threads` handler threads, and no model preloaded (not
// every tenant other tests left in MLflow has one).
inline api::ServeOptions serve_options(int threads = 2) {
    api::ServeOptions o;
    o.port = 0;
    o.threads = threads;
    o.preload_models = false;
    o.model_refresh = std::chrono::milliseconds(0);  // tests that need it set it
    return o;
}

struct Reply {
    int status = 0;  // 0: no response
    nlohmann::json body;
    std::string text;
    std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
    std::string header(const std::string& name) const;
};
// One request to the API on `port` (key in X-API-Key when not empty), with a `timeout_seconds` whole-call limit.
Reply call_api(int port, const std::string& method, const std::string& path, const std::string& key, const std::string& body = "",
               std::vector<std::string> headers = {}, long timeout_seconds = 30);

// Runs `scripts/devstack <args>` (fault injection on the real local stack); fails the test if it fails.
void devstack(const std::string& args);

// A local HTTP server standing in for an outside service the tests cannot reach (GitHub, Jira, a language-model
// server): answers each route as the test says and keeps every request it received, for the test to check.
class RecordingServer {
public:
    struct Route {
        std::string method, pattern;
        std::function<void(const http::Request&, http::Response&)> reply;
    };
    explicit RecordingServer(std::vector<Route> routes);
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<http::Request> received() const;

private:
    std::unique_ptr<http::Server> server_;
    int port_ = 0;
    mutable std::mutex mutex_;
    std::vector<http::Request> received_;
};

}  // namespace voltedge::test
