// Features, training and the registry against the real local stack: Postgres and the MLflow server.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "db/connection.h"
#include "features/feature_store.h"
#include "ingestion/ingest.h"
#include "registry/mlflow.h"
#include "serving/promotion.h"
#include "support.h"
#include "models/families.h"
#include "training/train.h"
#include "training/tuning.h"

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

// A UCI-format file of `days` days from 2009-03-01 with a daily load shape; the minute ranges in `gaps`
// ([first, end) counted from the start) are '?' rows, as the real file marks missing readings.
std::string uci_file_with_gaps(const std::string& name, int days, const std::vector<std::pair<int, int>>& gaps) {
    const auto path = std::filesystem::temp_directory_path() / name;
    std::ofstream out(path);
    out << "Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;"
           "Sub_metering_3\n";
    for (int i = 0; i < days * 1440; ++i) {
        const int day = 1 + i / 1440, minute = i % 1440;
        const auto date = fmt::format("{}/{}/2009;{:02d}:{:02d}:00", day <= 31 ? day : day - 31, day <= 31 ? 3 : 4, minute / 60,
                                      minute % 60);
        const bool missing = std::any_of(gaps.begin(), gaps.end(), [&](auto g) { return i >= g.first && i < g.second; });
        const double kw = 1.2 + 0.6 * std::sin(2 * M_PI * minute / 1440) + 0.3 * std::sin(i * 0.37) * std::sin(i * 0.011);
        if (missing)
            out << date << ";?;?;?;?;?;?;\n";
        else
            out << date << fmt::format(";{:.3f};0.100;240.00;{:.1f};0;0;0\n", kw, kw * 1000 / 240);
    }
    return path.string();
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

// Plan T-101 / issue 13 §1: the stored features of every hour equal what a forecast made at that hour could have
// computed from the data before it, inside and right after gaps too; and the hindsight fill (usage_hourly) would
// not have (so this test can tell the two apart).
TEST(PointInTime, StoredFeaturesEqualThoseRebuiltFromEarlierDataOnly) {
    const std::string tenant = test::new_tenant("pit");
    const int day = 1440, d26 = 26 * day, d27 = 27 * day;
    const std::vector<std::pair<int, int>> gaps = {{d26 + 620, d26 + 660},            // 40 minutes, 10:20 - 11:00
                                                   {d27 + 480, d27 + 780},            // 5 hours, 08:00 - 13:00
                                                   {d27 + 1200, d27 + 1200 + 1200}};  // 20 hours from 20:00
    auto conn = db::connect(test::config().database_url);
    ingestion::IngestOptions ingest;
    ingest.tenant = tenant;
    ingest.source = uci_file_with_gaps("voltedge-" + tenant + ".txt", 30, gaps);
    ingestion::ingest(conn, ingest);
    std::filesystem::remove(ingest.source);
    features::build_features(conn, options_for(tenant));

    const Minute first = days_from_civil(2009, 3, 1) * 1440;
    std::vector<Minute> sample;
    for (const auto& [begin, end] : gaps)  // every hour of each gap and the 30 hours after it
        for (Minute m = first + begin / 60 * 60; m < first + end + 30 * 60; m += 60) sample.push_back(m);
    for (int h = 200; h < 30 * 24; h += 37) sample.push_back(first + h * 60);  // and hours elsewhere
    std::sort(sample.begin(), sample.end());
    sample.erase(std::unique(sample.begin(), sample.end()), sample.end());

    std::size_t compared = 0, hindsight_differs = 0;
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const auto stored = features::load_feature_rows_at(tx, sample);
        ASSERT_EQ(stored.size(), sample.size());
        std::vector<features::HourLoad> targets;
        for (const auto& r : tx.exec("SELECT (extract(epoch from hour) / 60)::bigint, mean_kw FROM usage_hourly ORDER BY hour"))
            targets.push_back({r[0].as<Minute>(), r[1].as<double>()});
        const auto hindsight = features::build_feature_rows(targets);  // lags read the hindsight fill
        for (const auto& row : stored) {
            const auto as_of = features::feature_row_as_of(tx, row.hour);
            ASSERT_TRUE(as_of) << format_minute(row.hour);
            for (std::size_t k = 0; k < row.value.size(); ++k)
                EXPECT_TRUE(same(row.value[k], as_of->value[k]))
                    << format_minute(row.hour) << " " << features::value_feature_names()[k] << ": stored " << row.value[k]
                    << ", as of that hour " << as_of->value[k];
            for (std::size_t k = 0; k < row.last_hours.size(); ++k)
                EXPECT_TRUE(same(row.last_hours[k], as_of->last_hours[k]))
                    << format_minute(row.hour) << " load of hour t-" << k + 1 << ": stored " << row.last_hours[k]
                    << ", as of that hour " << as_of->last_hours[k];
            const auto h = std::find_if(hindsight.begin(), hindsight.end(), [&](const auto& r) { return r.hour == row.hour; });
            hindsight_differs += h != hindsight.end() && !same(h->value[0], row.value[0]);
            ++compared;
        }
    });
    EXPECT_EQ(compared, sample.size());
    EXPECT_GT(hindsight_differs, 10u);  // lag_1 inside and after the gaps: the hindsight fill used later readings

    // Scoring leaves out the 26 target hours with filled-in minutes (1 + 5 + 20, all inside the test folds) at
    // both horizons, unless asked to count them.
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    auto config = training::TrainConfig::from_json(R"({"families": ["linear"], "folds": 2, "fold_days": 2, "horizons": [1, 24]})",
                                                   "test");
    for (bool count_them : {false, true}) {
        config.score_imputed_targets = count_them;
        const auto report = training::train(conn, mlflow, mlflow, tenant, config);
        for (const auto& s : report.scores) {
            if (s.split < 0 && s.model == "linear") {
                EXPECT_EQ(s.imputed_excluded, count_them ? 0u : 26u) << s.horizon;
            }
        }
    }
}

TEST(Features, RebuildReplacesAndStaysInsideTheTenant) {
    const std::string a = test::new_tenant("feat-a"), b = test::new_tenant("feat-b");
    test::insert_usage(a, 10);
    auto conn = db::connect(test::config().database_url);
    const auto first = features::build_features(conn, options_for(a));
    const auto second = features::build_features(conn, options_for(a));
    EXPECT_EQ(first.rows, 10u * 24 + 1);
    EXPECT_EQ(test::count_as_app(conn, a, "SELECT 1 FROM features_hourly"), 241);
    EXPECT_EQ(test::count_as_app(conn, b, "SELECT 1 FROM features_hourly"), 0);
    EXPECT_EQ(test::count_as_app(conn, "", "SELECT 1 FROM features_hourly"), 0);
    EXPECT_EQ(test::count_as_app(conn, a,
                                 "SELECT 1 FROM features_hourly WHERE source_commit = '" + std::string(source_commit()) +
                                     "' AND feature_set_version = '" + features::kFeatureSetVersion + "'"),
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
    test::insert_usage(tenant, 40);
    auto conn = db::connect(test::config().database_url);
    features::build_features(conn, options_for(tenant));
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto report = training::train(conn, mlflow, mlflow, tenant, small_config());

    ASSERT_EQ(report.families.size(), 6u);  // the five families and the ensemble of the best two
    EXPECT_TRUE(report.champion == "linear" || report.champion == "random_forest" || report.champion == "xgboost" ||
                report.champion == "mlp" || report.champion == "ensemble");
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
    // Pooled scores at every lead 1..24 for the 5 load forecasters (the ensemble too) and 3 baselines, per
    // bucket for the peak-hour classifier (leads 1 and 2..24).
    int pooled = 0;
    for (const auto& s : report.scores) pooled += s.split < 0;
    EXPECT_EQ(pooled, 8 * 24 + 2);
    // The ensemble's backtest is the mean of its two members' (the best two regressors by the criterion).
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [model, mae] : report.lead_weighted_mae)
        if (model != "ensemble" && models::is_regressor(model)) ranked.emplace_back(mae, model);
    std::sort(ranked.begin(), ranked.end());
    ASSERT_GE(ranked.size(), 2u);
    const auto ensemble_run = std::find_if(report.families.begin(), report.families.end(),
                                           [](const auto& f) { return f.family == "ensemble"; });
    ASSERT_NE(ensemble_run, report.families.end());
    const registry::Run ensemble{ensemble_run->run_id, ""};
    const auto ensemble_bundle = nlohmann::json::parse(mlflow.download(ensemble, "model/bundle.json").value());
    const auto member_file = nlohmann::json::parse(mlflow.download(ensemble, "model/h1.json").value());
    ASSERT_EQ(member_file["members"].size(), 2u);
    EXPECT_EQ(member_file["members"][0]["family"], ranked[0].second);
    EXPECT_EQ(member_file["members"][1]["family"], ranked[1].second);
    EXPECT_EQ(ensemble_bundle["family"], "ensemble");
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
    test::insert_usage(tenant, 12);
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

// Issue 13 §6: successive halving on the backtest folds, each trial an MLflow child run of one search run; the
// best configuration is written back into the config file only when it beats the one already there.
TEST(Tune, TrialsAreChildRunsAndTheWinnerIsWrittenBack) {
    const std::string tenant = test::new_tenant("tune");
    test::insert_usage(tenant, 30);
    auto conn = db::connect(test::config().database_url);
    features::build_features(conn, options_for(tenant));
    registry::Mlflow mlflow(test::config().mlflow_tracking_uri);
    const auto path = std::filesystem::temp_directory_path() / ("voltedge-tune-" + tenant + ".json");
    const std::string original = R"({"families": ["xgboost"], "folds": 2, "fold_days": 3, "horizons": [1, 6]})";
    { std::ofstream(path) << original; }
    training::TuneOptions o;
    o.tenant = tenant;
    o.family = "xgboost";
    o.budget = 3;
    o.config_path = path.string();
    o.max_slowdown = 1000;  // the tiny data times nothing meaningful
    const auto report = training::tune(conn, mlflow, o);
    // 3 drawn on the last fold, then the best third (1) and the current configuration on both folds.
    ASSERT_EQ(report.trials.size(), 5u);
    for (std::size_t i = 0; i < report.trials.size(); ++i) {
        EXPECT_EQ(report.trials[i].folds, i < 3 ? 1 : 2) << i;
        EXPECT_EQ(mlflow.run_status(report.trials[i].run_id), "FINISHED");
        EXPECT_TRUE(std::isfinite(report.trials[i].summary.lead_weighted_mae));
    }
    EXPECT_EQ(report.trials[3].index, 0);  // the current configuration
    EXPECT_EQ(mlflow.run_status(report.search_run_id), "FINISHED");
    const auto& best = report.trials[report.best];
    EXPECT_GE(report.best, 3u);
    EXPECT_LE(best.summary.lead_weighted_mae, report.trials[3].summary.lead_weighted_mae);
    std::ifstream in(path);
    const auto written = nlohmann::json::parse(in);
    if (report.written) {
        EXPECT_EQ(written["params"]["xgboost"], best.params);
        EXPECT_EQ(written["folds"], 2);  // everything else kept
        EXPECT_EQ(training::TrainConfig::from_json(written.dump(), "t").params_of("xgboost"), best.params);
    } else {
        EXPECT_EQ(written, nlohmann::json::parse(original));
    }
    // A family without a search space, or a budget out of range, is a clear error that runs nothing.
    o.family = "linear";
    EXPECT_THROW(training::tune(conn, mlflow, o), Error);
    o.family = "xgboost";
    o.budget = 0;
    EXPECT_THROW(training::tune(conn, mlflow, o), Error);
    std::filesystem::remove(path);
}
