// The voltedge binary: one subcommand per job of the platform.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <iostream>

#include <csignal>
#include <pthread.h>

#include "api/server.h"
#include "cli/dq_report.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "db/migrate.h"
#include "features/feature_store.h"
#include "registry/model_registry.h"
#include "training/model_io.h"
#include "training/train.h"
#include "ingestion/ingest.h"
#include "security/tenants.h"

namespace {

using namespace voltedge;

constexpr const char* kUciUrl =
    "https://archive.ics.uci.edu/static/public/235/individual+household+electric+power+consumption.zip";

std::string actor() {
    const char* user = std::getenv("USER");
    return std::string("cli:") + (user ? user : "unknown");
}

int run_migrate(const Config& config) {
    const auto report = db::migrate(config.database_admin_url, config.database_url);
    std::cerr << "migrations: " << report.applied.size() << " applied, " << report.already.size() << " already applied\n";
    return 0;
}

int run_ingest(const Config& config, const ingestion::IngestOptions& options) {
    auto conn = db::connect(config.database_url);
    const auto r = ingestion::ingest(conn, options);
    if (r.status == "skipped") {
        std::cout << "run " << r.run_id << ": " << options.source << " (sha256 " << r.source.sha256
                  << ") was already loaded for tenant " << options.tenant << "; nothing changed (use --force to reload)\n";
        return 0;
    }
    std::size_t failed = 0;
    for (const auto& c : r.checks) failed += !c.passed;
    std::cout << "run " << r.run_id << ": read " << r.rows_read << " rows, " << r.minutes_missing << " minutes missing, "
              << r.minutes_imputed << " imputed; loaded " << r.minutes_loaded << " minutes into usage_minute and "
              << r.hours_loaded << " hours into usage_hourly; " << r.checks.size() - failed << " of " << r.checks.size()
              << " data-quality checks passed (voltedge dq report --tenant " << options.tenant << ")\n";
    return 0;
}

// Serves until SIGINT or SIGTERM, then stops accepting and lets requests in flight finish.
int run_serve(const Config& config, const api::ServeOptions& options) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before any thread starts, so all inherit it
    api::ApiServer server(config, options);
    server.start();
    std::cerr << "voltedge API listening on http://" << options.host << ":" << server.port() << " (docs: /docs)\n";
    int received = 0;
    sigwait(&signals, &received);
    log_info("shutting_down", {{"signal", received}});
    server.stop();
    return 0;
}

int run_train(const Config& config, const std::string& tenant, const std::string& config_path) {
    const training::TrainConfig train_config =
        config_path.empty() ? training::TrainConfig{} : training::TrainConfig::from_json(training::read_file(config_path), config_path);
    auto conn = db::connect(config.database_url);
    registry::MlflowClient mlflow(config.mlflow_tracking_uri);
    const auto report = training::train(conn, mlflow, tenant, train_config);
    std::cout << "backtest of tenant " << tenant << " (" << train_config.backtest.folds << " folds of "
              << train_config.backtest.fold_hours / 24 << " days, " << train_config.backtest.window
              << " window; all folds pooled; skill = MAE reduction vs persistence)\n"
              << training::format_backtest_table(report);
    for (const auto& f : report.families)
        std::cout << "  " << f.family << ": " << fmt::format("{:.1f}", f.seconds) << " s, MLflow run " << f.run_id << '\n';
    if (report.champion.empty()) {
        std::cout << "no forecasting family was configured, so nothing was registered\n";
        return 0;
    }
    std::cout << "champion: " << report.champion << " -> " << report.model_name << " version " << report.registered_version
              << " (alias staging); " << fmt::format("{:.1f}", report.seconds) << " s in all\n"
              << "promote it with: voltedge promote --tenant " << tenant << " --version " << report.registered_version << '\n';
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"VoltEdge: electrical load forecasting platform.\n"
                 "Configuration: DATABASE_URL, DATABASE_ADMIN_URL, REDIS_URL, MLFLOW_TRACKING_URI\n"
                 "(defaults: the local stack of 'scripts/devstack up')."};
    app.require_subcommand(1);
    const Config config = Config::from_env();

    auto* migrate = app.add_subcommand("migrate", "Create roles and apply database migrations (idempotent)");

    auto* tenant = app.add_subcommand("tenant", "Manage tenants and their API keys");
    tenant->require_subcommand(1);
    std::string tenant_id;
    bool admin_key = false;
    auto* tenant_create = tenant->add_subcommand("create", "Create a tenant (no-op if it exists)");
    tenant_create->add_option("ID", tenant_id, "tenant id: lowercase letters, digits, '_' or '-'")->required();
    auto* tenant_key = tenant->add_subcommand("key", "Issue an API key; prints it once on stdout");
    tenant_key->add_option("ID", tenant_id, "tenant id")->required();
    tenant_key->add_flag("--admin", admin_key, "key may call admin routes (e.g. /reload)");
    std::string revoke_key_id;
    auto* tenant_revoke = tenant->add_subcommand("revoke", "Revoke an API key by its id (the 8 hex digits after 've_')");
    tenant_revoke->add_option("ID", tenant_id, "tenant id")->required();
    tenant_revoke->add_option("KEY_ID", revoke_key_id, "key id")->required();

    std::string serve_host;
    int serve_port = 0;
    auto* serve_cmd = app.add_subcommand("serve", "Run the prediction API (predict, explain, reload, metrics, docs)");
    serve_cmd->add_option("--host", serve_host, "address to listen on (default VOLTEDGE_API_HOST or 127.0.0.1)");
    serve_cmd->add_option("--port", serve_port, "port (default VOLTEDGE_API_PORT or 58080)");

    ingestion::IngestOptions ingest_options;
    ingest_options.source = kUciUrl;
    auto* ingest = app.add_subcommand("ingest", "Load a UCI household power file: validate, impute, store minutes and hours");
    ingest->add_option("--tenant", ingest_options.tenant, "tenant to load into")->required();
    ingest->add_option("--source", ingest_options.source, "local .txt/.zip/.gz/.xz file or http(s) URL")
        ->capture_default_str();
    ingest->add_flag("--force", ingest_options.force, "load even if this exact file was loaded before");

    auto* dq = app.add_subcommand("dq", "Data-quality reports");
    dq->require_subcommand(1);
    std::string dq_tenant;
    auto* dq_report = dq->add_subcommand("report", "Print the latest data-quality report of a tenant");
    dq_report->add_option("--tenant", dq_tenant, "tenant")->required();

    features::FeatureOptions feature_options;
    if (const char* csv = std::getenv("VOLTEDGE_WEATHER_CSV")) feature_options.weather_csv = csv;
    auto* features_cmd = app.add_subcommand("features", "Build the tenant's hourly feature table from its hourly usage");
    features_cmd->add_option("--tenant", feature_options.tenant, "tenant")->required();
    features_cmd->add_flag("--with-weather", feature_options.with_weather, "join hourly temperature (off by default)");
    features_cmd->add_option("--weather-csv", feature_options.weather_csv,
                             "hourly temperature file 'YYYY-MM-DD HH:MM:SS,temperature_c' (env VOLTEDGE_WEATHER_CSV)");

    std::string train_tenant, train_config_path;
    auto* train_cmd = app.add_subcommand("train", "Backtest the model families, log them to MLflow, register the champion as staging");
    train_cmd->add_option("--tenant", train_tenant, "tenant")->required();
    train_cmd->add_option("--config", train_config_path, "training config (JSON; see configs/training.json)");

    std::string promote_tenant, promote_version;
    auto* promote_cmd = app.add_subcommand("promote", "Point the tenant's 'production' alias at a registered model version");
    promote_cmd->add_option("--tenant", promote_tenant, "tenant")->required();
    promote_cmd->add_option("--version", promote_version, "registered model version, or an alias (e.g. staging)")->required();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*migrate) return run_migrate(config);
        if (*tenant_create) {
            const bool created = security::create_tenant(config.database_admin_url, tenant_id, actor());
            std::cerr << "tenant " << tenant_id << (created ? " created\n" : " already exists\n");
            return 0;
        }
        if (*tenant_key) {
            std::cout << security::issue_api_key(config.database_admin_url, tenant_id, admin_key, actor()) << std::endl;
            std::cerr << "this key is shown once; only its hash is stored\n";
            return 0;
        }
        if (*tenant_revoke) {
            if (!security::revoke_api_key(config.database_admin_url, tenant_id, revoke_key_id, actor())) {
                std::cerr << "tenant " << tenant_id << " has no active key " << revoke_key_id << '\n';
                return 1;
            }
            std::cerr << "key " << revoke_key_id << " of tenant " << tenant_id << " revoked\n";
            return 0;
        }
        if (*serve_cmd) {
            api::ServeOptions options = api::ServeOptions::from_env();
            if (!serve_host.empty()) options.host = serve_host;
            if (serve_port != 0) options.port = serve_port;
            return run_serve(config, options);
        }
        if (*ingest) return run_ingest(config, ingest_options);
        if (*features_cmd) {
            auto conn = db::connect(config.database_url);
            const auto r = features::build_features(conn, feature_options);
            std::cout << "features for tenant " << feature_options.tenant << ": " << r.rows << " rows (" << r.hours
                      << " hours with load, plus the row the next forecast starts from), " << r.first_hour << " .. "
                      << r.last_hour << ", feature set " << features::kFeatureSetVersion << "\n";
            return 0;
        }
        if (*train_cmd) return run_train(config, train_tenant, train_config_path);
        if (*promote_cmd) {
            auto conn = db::connect(config.database_url);
            registry::MlflowClient mlflow(config.mlflow_tracking_uri);
            const auto v = registry::promote(mlflow, conn, promote_tenant, promote_version, actor());
            std::cout << "model " << v.name << " version " << v.version << " is now 'production' for tenant "
                      << promote_tenant << " (family " << v.tags.value("family", "?") << ")\n";
            return 0;
        }
        if (*dq_report) {
            auto conn = db::connect(config.database_url);
            if (!cli::print_dq_report(conn, dq_tenant, std::cout)) {
                std::cerr << "tenant " << dq_tenant << " has no data-quality report yet: run 'voltedge ingest --tenant " << dq_tenant << "'\n";
                return 1;
            }
            return 0;
        }
    } catch (const Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << '\n';
        return 1;
    } catch (const pqxx::sql_error& e) {
        std::cerr << "error: database: " << e.what() << "query: " << e.query() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
