// Features, training and the registry against the real local stack: Postgres and the MLflow server.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "db/connection.h"
#include "features/feature_store.h"
#include "registry/mlflow.h"
#include "serving/promotion.h"
#include "support.h"
#include "training/train.h"

using namespace voltedge;

namespace {

features::FeatureOptions options_for(const std::string& tenant) {
    features::FeatureOptions o;
    o.tenant = tenant;
    return o;
}

training::TrainConfig small_config() {
    auto c = training::TrainConfig::from_json(R"({"folds": 2, "fold_days": 7, "horizons": [1, 24]})", "test");
    return c;
}

}  // namespace

TEST(Features, RebuildReplacesAndStaysInsideTheTenant) {
    const std::string a = test::new_tenant("feat-a"), b = test::new_tenant("feat-b");
    test::insert_hourly_usage(a, 10);
    auto conn = db::connect(test::config().database_url);
    const auto first = features::build_features(conn, options_for(a));
    const auto second = features::build_features(conn, options_for(a));
    EXPECT_EQ(first.rows, 10u * 24 + 1);
    EXPECT_EQ(test::count_as_app(conn, a, "SELECT 1 FROM features_hourly"), 241);
    EXPECT_EQ(test::count_as_app(conn, b, "SELECT 1 FROM features_hourly"), 0);
    EXPECT_EQ(test::count_as_app(conn, "", "SELECT 1 FROM features_hourly"), 0);
    EXPECT_EQ(test::count_as_app(conn, a,
                                 "SELECT 1 FROM features_hourly WHERE source_commit = '" + std::string(source_commit()) +
                                     "' AND feature_set_version = 'hourly-v1'"),
              241);
    EXPECT_EQ(second.rows, first.rows);
    // Tenant b has no usage: a clear error, and nothing written.
    EXPECT_THROW(features::build_features(conn, options_for(b)), Error);
    // Weather on without a source: a clear error before anything is touched.
    features::FeatureOptions weather{a, true, ""};
    EXPECT_THROW(features::build_features(conn, weather), Error);
    EXPECT_EQ(test::count_as_app(conn, a, "SELECT 1 FROM features_hourly"), 241);
}

TEST(Registry, RoundTripAgainstTheRealServer) {
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const std::string tenant = test::new_tenant("reg");
    const std::string experiment = mlflow.experiment(training::experiment_name(tenant));
    EXPECT_EQ(mlflow.experiment(training::experiment_name(tenant)), experiment);
    const auto run = mlflow.start_run(experiment, "round-trip", "test", "abc123", {{"tenant", tenant}});
    mlflow.log(run, {{"h1_mae", 0.5, 0}, {"h1_mae", 0.25, 1}}, {{"family", "test"}});
    const std::string bytes = std::string("binary\0bytes\n", 13);
    mlflow.upload(run, "model/bundle.json", bytes);
    mlflow.finish(run);
    EXPECT_EQ(mlflow.run_status(run.run_id), "FINISHED");

    const auto version = registry::register_champion(mlflow, run, tenant, "test", "abc123");
    EXPECT_EQ(mlflow.fetch(version, "bundle.json"), bytes);  // through the version's runs:/ source
    const auto staging = mlflow.alias(tenant, "staging");
    ASSERT_TRUE(staging.has_value());
    EXPECT_EQ(staging->version, version.version);
    EXPECT_EQ(staging->run_id, run.run_id);
    EXPECT_EQ(staging->tag("tenant"), tenant);
    EXPECT_FALSE(mlflow.alias(tenant, "production").has_value());

    auto conn = db::connect(test::config().database_url);
    serving::move_alias(mlflow, conn, tenant, "production", version.version, "test:promoter", "abc123");
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, version.version);
    EXPECT_EQ(test::count_as_app(conn, tenant,
                                 "SELECT 1 FROM audit_log WHERE action = 'model.promote' AND actor = "
                                 "'test:promoter' AND details->>'version' = '" +
                                     version.version + "'"),
              1);
    // An unknown version: a clear error, no audit row, the alias unchanged.
    EXPECT_THROW(serving::move_alias(mlflow, conn, tenant, "production", "999", "test:promoter", "abc123"), Error);
    EXPECT_EQ(test::count_as_app(conn, tenant, "SELECT 1 FROM audit_log WHERE action = 'model.promote'"), 1);
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, version.version);
}

TEST(Registry, UnreachableServerIsAClearError) {
    registry::Mlflow mlflow("http://127.0.0.1:9");  // discard port: nothing listens
    try {
        mlflow.experiment("x");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos);
        EXPECT_NE(e.hint().find("make up"), std::string::npos);
    }
}

TEST(Train, EndToEndRegistersTheChampionAsStaging) {
    const std::string tenant = test::new_tenant("train");
    test::insert_hourly_usage(tenant, 40);
    auto conn = db::connect(test::config().database_url);
    features::build_features(conn, options_for(tenant));
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto report = training::train(conn, mlflow, mlflow, tenant, small_config());

    ASSERT_EQ(report.families.size(), 5u);
    EXPECT_TRUE(report.champion == "linear" || report.champion == "random_forest" || report.champion == "xgboost" ||
                report.champion == "mlp");
    const auto staging = mlflow.alias(tenant, "staging");
    ASSERT_TRUE(staging.has_value());
    EXPECT_EQ(staging->version, report.registered_version);
    EXPECT_EQ(staging->tag("family"), report.champion);
    for (const auto& f : report.families) {
        EXPECT_EQ(mlflow.run_status(f.run_id), "FINISHED") << f.family;
        if (f.family == staging->tag("family")) {
            EXPECT_EQ(f.run_id, staging->run_id);
        }
    }
    // Per split and pooled scores for every model and horizon; the model beats persistence on this easy series.
    int pooled = 0;
    for (const auto& s : report.scores) pooled += s.split < 0;
    EXPECT_EQ(pooled, 2 * (5 + 3));
    // The registered artifact is complete: bundle, one model per horizon.
    const std::string bundle = mlflow.fetch(*staging, "bundle.json");
    const auto j = nlohmann::json::parse(bundle);
    EXPECT_EQ(j["family"], report.champion);
    EXPECT_TRUE(j["horizons"].contains("1") && j["horizons"].contains("24"));
    EXPECT_FALSE(mlflow.fetch(*staging, j["horizons"]["24"]["file"]).empty());
    // The same data and commit give the same metrics.
    const auto again = training::train(conn, mlflow, mlflow, tenant, small_config());
    for (std::size_t i = 0; i < report.scores.size(); ++i) {
        EXPECT_EQ(report.scores[i].regression.mae, again.scores[i].regression.mae) << report.scores[i].model;
        EXPECT_EQ(report.scores[i].classification.log_loss, again.scores[i].classification.log_loss) << report.scores[i].model;
    }
    EXPECT_EQ(std::stoi(again.registered_version), std::stoi(report.registered_version) + 1);
    // Promoting by alias moves production to the version staging points to.
    serving::move_alias(mlflow, conn, tenant, "production", "staging", "test", "abc123");
    EXPECT_EQ(mlflow.alias(tenant, "production")->version, again.registered_version);
}

TEST(Train, BadInputIsAClearErrorAndWritesNothing) {
    auto conn = db::connect(test::config().database_url);
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const std::string tenant = test::new_tenant("train-bad");
    auto expect_error = [&](const std::string& t, const training::TrainConfig& c, const std::string& words) {
        try {
            training::train(conn, mlflow, mlflow, t, c);
            FAIL() << "expected: " << words;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
        }
    };
    expect_error(tenant, small_config(), "no features yet");
    expect_error("no-such-tenant-xyz", small_config(), "no-such-tenant-xyz");
    test::insert_hourly_usage(tenant, 12);
    features::build_features(conn, options_for(tenant));
    expect_error(tenant, small_config(), "too little data");
    registry::Mlflow down("http://127.0.0.1:9");
    auto c = small_config();
    c.backtest.folds = 1;
    c.backtest.fold_hours = 24;
    c.backtest.min_train_hours = 48;
    try {
        training::train(conn, down, down, tenant, c);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("unreachable"), std::string::npos);
    }
    // Nothing was registered for this tenant.
    EXPECT_FALSE(mlflow.alias(tenant, "staging").has_value());
}
