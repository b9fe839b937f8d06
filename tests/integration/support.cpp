#include <fmt/format.h>
#include "support.h"

#include <chrono>
#include <random>

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "core/url.h"
#include "db/connection.h"
#include "features/feature_store.h"
#include "http/client.h"
#include "rag/index.h"
#include "rag/sources.h"
#include "registry/mlflow.h"
#include "security/tenants.h"
#include "serving/promotion.h"
#include "training/train.h"

namespace voltedge::test {
namespace {

// The same server, database name + "_test": `make test` creates and migrates it, so tests never touch the
// demo's data.
std::string test_database(const std::string& url) {
    const auto u = parse_url(url);
    if (!u || u->path.size() < 2 || u->path.ends_with("_test")) return url;
    const auto at = url.find(u->path, url.find("://") + 3);
    return url.substr(0, at) + u->path + "_test" + url.substr(at + u->path.size());
}

std::mutex tenants_mutex;
std::vector<std::string> tenants_made;

// After the tests of this process: the MLflow experiments and registered models of its tenants go, so the
// MLflow UI shows the user's own work only.
class MlflowCleanup : public ::testing::Environment {
public:
    void TearDown() override {
        registry::Mlflow mlflow(config().mlflow_tracking_uri);
        std::lock_guard lock(tenants_mutex);
        for (const auto& tenant : tenants_made) {
            try {
                mlflow.delete_by_prefix(training::experiment_name(tenant), mlflow.model_name(tenant));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "test clean-up of tenant %s in MLflow failed: %s\n", tenant.c_str(), e.what());
            }
        }
    }
};
[[maybe_unused]] const auto* cleanup = ::testing::AddGlobalTestEnvironment(new MlflowCleanup);

}  // namespace

const Config& config() {
    static const Config c = [] {
        Config c = Config::load();
        c.database_url = test_database(c.database_url);
        c.database_admin_url = test_database(c.database_admin_url);
        return c;
    }();
    return c;
}

std::string new_tenant(const std::string& prefix) {
    static std::mt19937_64 rng(std::random_device{}());
    const std::string id = "test-" + prefix + "-" + std::to_string(rng() % 1'000'000'000);
    security::create_tenant(config().database_admin_url, id, "test");
    std::lock_guard lock(tenants_mutex);
    tenants_made.push_back(id);
    return id;
}

long count_as_app(pqxx::connection& conn, const std::string& tenant, const std::string& sql) {
    pqxx::work tx(conn);
    if (!tenant.empty()) db::set_tenant(tx, tenant);
    return tx.exec("SELECT count(*) FROM (" + sql + ") q")[0][0].as<long>();
}

std::string data_file(const std::string& name) { return std::string(VOLTEDGE_TEST_DATA) + "/" + name; }

void insert_usage(const std::string& tenant, int days, int first_day, double offset_kw) {
    auto conn = db::connect(config().database_url);
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const std::string hourly_load = fmt::format("{} + 1 + 0.8 * sin(2 * pi() * (h % 24) / 24) + 0.05 * ((h * 7919) % 13)",
                                                    offset_kw);
        tx.exec_params("INSERT INTO usage_minute (tenant_id, ts, global_active_power, global_reactive_power, voltage, "
                       "global_intensity, sub_metering_1, sub_metering_2, sub_metering_3, imputed, run_id) "
                       "SELECT $1, timestamp '2009-01-01' + i * interval '1 minute', " +
                           hourly_load +
                           ", 0.1, 240, 4, 0, 0, 0, false, 0 "
                           "FROM generate_series($3 * 1440, ($3 + $2) * 1440 - 1) i, LATERAL (SELECT i / 60 AS h) s",
                       tenant, days, first_day);
        tx.exec_params(
            "INSERT INTO usage_hourly (tenant_id, hour, mean_kw, energy_kwh, min_kw, max_kw, mean_reactive_kw, mean_voltage, "
            "sub_metering_1_wh, sub_metering_2_wh, sub_metering_3_wh, minutes_present, minutes_imputed, run_id) "
            "SELECT $1, timestamp '2009-01-01' + h * interval '1 hour', kw, kw, kw, kw, 0.1, 240, 0, 0, 0, 60, 0, 0 FROM ("
            "  SELECT h, " +
                hourly_load + " AS kw FROM generate_series($3 * 24, ($3 + $2) * 24 - 1) h) s",
            tenant, days, first_day);
    });
}

}  // namespace voltedge::test

namespace voltedge::test {

void train_and_promote(const std::string& tenant, const std::string& family, const std::string& more_config) {
    auto conn = db::connect(config().database_url);
    registry::Mlflow mlflow(config().mlflow_tracking_uri);
    features::FeatureOptions o;
    o.tenant = tenant;
    features::build_features(conn, o);
    const auto train_config = training::TrainConfig::from_json(R"({"families": [")" + family +
                                                                   R"("], "folds": 1, "fold_days": 7, "horizons": [1, 24])" +
                                                                   (more_config.empty() ? "" : ", " + more_config) + "}",
                                                               "test");
    training::train(conn, mlflow, mlflow, tenant, train_config);
    serving::move_alias(mlflow, conn, tenant, "production", "staging", "test", "test");
}

int free_port() {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
    close(s);
    return ntohs(a.sin_port);
}

std::string Reply::header(const std::string& name) const {
    for (const auto& [n, v] : headers)
        if (n == name) return v;
    return {};
}

Reply call_api(int port, const std::string& method, const std::string& path, const std::string& key, const std::string& body,
               std::vector<std::string> headers, long timeout_seconds) {
    if (!key.empty()) headers.push_back("X-API-Key: " + key);
    headers.push_back("Content-Type: application/json");
    try {
        const auto url = "http://127.0.0.1:" + std::to_string(port) + path;
        auto r = http::send({method, url, body, headers, 5, timeout_seconds});
        return {static_cast<int>(r.status), nlohmann::json::parse(r.body, nullptr, false), r.body, std::move(r.headers)};
    } catch (const http::Unreachable&) {
        return {0, nullptr, "no response", {}};
    }
}

void devstack(const std::string& args) {
    const std::string command = std::string(VOLTEDGE_SOURCE_DIR) + "/scripts/devstack " + args;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

std::string project_tree_tenant(const rag::Embedder& embedder) {
    static const std::string tenant = [&] {
        const std::string t = new_tenant("tree");
        auto docs = rag::project_documents(VOLTEDGE_SOURCE_DIR);
        docs.push_back(rag::data_dictionary());
        auto conn = db::connect(config().database_url);
        rag::index_documents(conn, t, docs, embedder);
        return t;
    }();
    return tenant;
}

RecordingServer::RecordingServer(std::vector<Route> routes) {
    http::ServerOptions o;
    o.port = 0;
    o.workers = 2;
    server_ = std::make_unique<http::Server>(o);
    for (auto& r : routes)
        server_->route(r.method, r.pattern, [this, reply = std::move(r.reply)](const http::Request& req, http::Response& res) {
            {
                std::lock_guard lock(mutex_);
                received_.push_back(req);
            }
            reply(req, res);
        });
    port_ = server_->start();
}

std::vector<http::Request> RecordingServer::received() const {
    std::lock_guard lock(mutex_);
    return received_;
}

}  // namespace voltedge::test
