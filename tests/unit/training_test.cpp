#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/error.h"
#include "features/feature_rows.h"
#include "training/backtest.h"
#include "training/design.h"
#include "training/metrics.h"
#include "training/plots.h"
#include "models/families.h"
#include "models/feature_spec.h"
#include "models/intervals.h"
#include "features/calendar.h"
#include "training/train.h"

using namespace voltedge;
using namespace voltedge::training;
using namespace voltedge::models;

namespace {

Minute hour0() { return days_from_civil(2008, 1, 1) * 1440; }

// A daily-periodic load with noise: enough structure for every family to learn.
std::vector<features::HourLoad> synthetic_loads(int hours, std::uint64_t seed = 1) {
    std::mt19937_64 rng(seed);
    std::vector<features::HourLoad> out;
    for (int i = 0; i < hours; ++i) {
        const double daily = 1 + 0.8 * std::sin(2 * M_PI * (i % 24) / 24.0);
        out.push_back({hour0() + Minute(i) * 60, daily + 0.1 * double(rng() % 1000) / 1000.0});
    }
    return out;
}

// What TrainConfig::from_json says of a config, or "no error".
std::string config_error(const std::string& json) {
    try {
        TrainConfig::from_json(json, "t");
    } catch (const Error& e) {
        return std::string(e.what());
    }
    return std::string("no error");
}

}  // namespace

TEST(Design, NoInputDependsOnLoadsAfterTheLead) {
    const auto loads = synthetic_loads(400);
    const LeadBucket bucket{2, 48};
    // With the inputs aligned with the target hour (the minute-level groups need minutes: features_test).
    const models::InputLayout layout{false, {"same_hour", "daylight"}, features::Location{48.78, 2.29, 1}};
    const Design base = build_design(features::build_feature_rows(loads), bucket, kEveryLead, layout);
    ASSERT_GT(base.y.size(), 1000);
    const int lead_column = static_cast<int>(model_features(layout).size()) - 1;
    for (Eigen::Index row = 0; row < base.y.size(); row += 97) {
        const Minute target = base.target_hour[row];
        const int h = base.lead[row];
        EXPECT_EQ(base.X(row, lead_column), h);
        // Change every load later than target - h: the inputs of that (target, lead) must not move.
        auto changed = loads;
        for (auto& l : changed)
            if (l.hour > target - 60 * h) l.load_kw += 100;
        const Design other = build_design(features::build_feature_rows(changed), bucket, kEveryLead, layout);
        Eigen::Index at = 0;
        while (at < other.y.size() && (other.target_hour[at] != target || other.lead[at] != h)) ++at;
        ASSERT_LT(at, other.y.size());
        EXPECT_EQ(base.X.row(row), other.X.row(at)) << "lead " << h;
        // And the load at target - h itself is used (lag_1 of the origin row): the design is not over-cautious.
        EXPECT_DOUBLE_EQ(base.X(row, 0), loads[(target - hour0()) / 60 - h].load_kw);
        // The same hour of day on the last day known at the origin: 24 h before the target up to lead 24, 48 h
        // before up to lead 48.
        const int same_hour_column = features::kBaseFeatureCount;
        EXPECT_EQ(model_features(layout)[same_hour_column].name, "same_hour_last_day");
        EXPECT_DOUBLE_EQ(base.X(row, same_hour_column), loads[(target - hour0()) / 60 - (h <= 24 ? 24 : 48)].load_kw);
    }
}

// Training rows take one lead per target, in turn: as many rows as targets, every lead represented.
TEST(Design, OneLeadPerTargetInTurn) {
    const auto rows = features::build_feature_rows(synthetic_loads(600));
    const Design every = build_design(rows, {7, 24}, kEveryLead, {});
    const Design one = build_design(rows, {7, 24}, 1, {});
    EXPECT_NEAR(static_cast<double>(every.y.size()), 18.0 * static_cast<double>(one.y.size()), 18.0 * 18);
    std::set<int> leads(one.lead.begin(), one.lead.end());
    EXPECT_EQ(leads.size(), 18u);
    EXPECT_TRUE(std::adjacent_find(one.target_hour.begin(), one.target_hour.end()) == one.target_hour.end());
    EXPECT_TRUE(std::is_sorted(every.target_hour.begin(), every.target_hour.end()));
    const Design four = build_design(rows, {7, 24}, 4, {});  // four distinct leads per target
    EXPECT_NEAR(static_cast<double>(four.y.size()), 4.0 * static_cast<double>(one.y.size()), 4.0 * 18);
    for (std::size_t i = 0; i + 3 < four.lead.size(); i += 4) {
        if (four.target_hour[i] == four.target_hour[i + 3]) {
            EXPECT_EQ(std::set<int>(four.lead.begin() + i, four.lead.begin() + i + 4).size(), 4u);
        }
    }
}

TEST(Design, DropsRowsWithoutFullHistory) {
    const Design d = build_design(features::build_feature_rows(synthetic_loads(200)), {1, 1}, kEveryLead, {});
    // Targets need lag_168 of their origin row: the first complete target is hour 168.
    ASSERT_GT(d.y.size(), 0);
    EXPECT_EQ(d.target_hour.front(), hour0() + 168 * 60);
    EXPECT_EQ(d.y.size(), 200 - 168);
    EXPECT_EQ(d.X.cols(), static_cast<Eigen::Index>(model_features({}).size()));
}

TEST(Backtest, SplitBoundaries) {
    BacktestOptions o;
    o.folds = 3;
    o.fold_hours = 24;
    o.min_train_hours = 10;
    const Minute first = hour0(), last = hour0() + 199 * 60;  // 200 target hours
    const auto s = make_splits(first, last, 1, o);
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].test_begin, first + 128 * 60);
    EXPECT_EQ(s[0].test_end, first + 152 * 60);
    EXPECT_EQ(s[1].test_begin, s[0].test_end);
    EXPECT_EQ(s[2].test_end, last + 60);
    EXPECT_EQ(s[0].train_begin, first);
    EXPECT_EQ(s[0].train_end, s[0].test_begin);
    // At 24 h the training targets stop 23 hours earlier: none later than the fold's first forecast origin.
    const auto s24 = make_splits(first, last, 24, o);
    EXPECT_EQ(s24[1].train_end, s24[1].test_begin - 23 * 60);
    o.window = "sliding";
    o.train_hours = 20;
    const auto sliding = make_splits(first, last, 1, o);
    EXPECT_EQ(sliding[2].train_begin, sliding[2].train_end - 20 * 60);
}

TEST(Backtest, TooLittleDataIsAClearError) {
    BacktestOptions o;  // 4 folds of 30 days
    try {
        make_splits(hour0(), hour0() + 1000 * 60, 1, o);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("too little data"), std::string::npos);
        EXPECT_NE(e.hint().find("fewer"), std::string::npos);
    }
}

TEST(Backtest, FoldsByDate) {
    const Minute first = hour0(), last = hour0() + 999 * 60;
    BacktestOptions o;
    o.min_train_hours = 10;
    o.windows = {{first + 500 * 60, first + 530 * 60}, {first + 600 * 60, first + 601 * 60}};  // any length, gaps between
    const auto s = make_splits(first, last, 24, o);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].test_begin, first + 500 * 60);
    EXPECT_EQ(s[1].test_end, first + 601 * 60);
    EXPECT_EQ(s[1].train_end, s[1].test_begin - 23 * 60);
    EXPECT_NE(o.describe().find("2 folds by date: [2008-01-21 20:00:00, 2008-01-23 02:00:00)"), std::string::npos)
        << o.describe();
    o.windows = {{last + 60, last + 120}};  // after the data
    EXPECT_THROW(make_splits(first, last, 1, o), Error);
}

// Dated windows in the training config: hour precision, one window cut into folds or a list of folds; every
// mistake is an error that names it.
TEST(Backtest, DatedWindowsInTheConfig) {
    const auto window =
        TrainConfig::from_json(R"({"test_start": "2010-01-01 00:00", "test_end": "2010-01-02 03:00", "folds": 3})", "t");
    ASSERT_EQ(window.backtest.windows.size(), 3u);
    EXPECT_EQ(window.backtest.windows[0].end - window.backtest.windows[0].begin, 9 * 60);
    EXPECT_EQ(window.backtest.windows[2].end, *parse_minute("2010-01-02 03:00"));
    const auto list = TrainConfig::from_json(
        R"({"fold_windows": [{"test_start": "2010-01-01 06:00", "test_end": "2010-01-01 18:00"},
                             {"test_start": "2010-02-01 00:00", "test_end": "2010-02-03 00:00"}]})",
        "t");
    EXPECT_EQ(list.backtest.windows.size(), 2u);
    EXPECT_EQ(TrainConfig::from_json(R"({"fold_hours": 36})", "t").backtest.fold_hours, 36);  // not whole days only
    EXPECT_NE(config_error(R"({"test_start": "2010-01-02 00:00", "test_end": "2010-01-01 00:00"})").find("is empty"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"test_start": "2010-01-01 00:00"})").find("go together"), std::string::npos);
    EXPECT_NE(config_error(R"({"test_start": "2010-01-01 00:30", "test_end": "2010-01-02 00:00"})").find("on the hour"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"test_start": "yesterday", "test_end": "2010-01-02 00:00"})").find("test_start must be a time"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"fold_windows": [{"test_start": "2010-01-01 00:00", "test_end": "2010-01-03 00:00"},
                                            {"test_start": "2010-01-02 00:00", "test_end": "2010-01-04 00:00"}]})")
                  .find("test fold 2 [2010-01-02 00:00:00, 2010-01-04 00:00:00) overlaps"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"fold_windows": [{"test_start": "2010-01-01 00:00", "test_end": "2010-01-01 00:00"}]})")
                  .find("is empty"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"fold_windows": [], "folds": 2})").find("fold_windows"), std::string::npos);
    EXPECT_NE(config_error(R"({"fold_days": 2, "fold_hours": 5})").find("once"), std::string::npos);
    EXPECT_NE(
        config_error(R"({"test_start": "2010-01-01 00:00", "test_end": "2010-01-01 02:00", "folds": 3})").find("fewer than"),
        std::string::npos);
}

TEST(Metrics, RegressionArithmetic) {
    const auto m = regression_metrics({1, 2, 4, 0}, {2, 2, 2, 1});
    EXPECT_DOUBLE_EQ(m.mae, (1 + 0 + 2 + 1) / 4.0);
    EXPECT_DOUBLE_EQ(m.rmse, std::sqrt((1 + 0 + 4 + 1) / 4.0));
    EXPECT_DOUBLE_EQ(m.mape, 100 * (1.0 + 0 + 0.5) / 3);  // the zero actual is left out
    EXPECT_DOUBLE_EQ(m.wape, 100 * 4.0 / 7);
}

TEST(Metrics, ClassificationArithmetic) {
    // Scores: positives 0.9, 0.4; negatives 0.4, 0.1. Pairs: (0.9>0.4) 1, (0.9>0.1) 1, (0.4=0.4) 0.5, (0.4>0.1) 1.
    const auto m = classification_metrics({1, 1, 0, 0}, {0.9, 0.4, 0.4, 0.1});
    EXPECT_DOUBLE_EQ(m.auc, 3.5 / 4);
    EXPECT_DOUBLE_EQ(m.f1, 2.0 * 1 / (2.0 * 1 + 0 + 1));  // tp 1 (0.9), fn 1 (0.4), fp 0
    EXPECT_NEAR(m.log_loss, -(std::log(0.9) + std::log(0.4) + std::log(0.6) + std::log(0.9)) / 4, 1e-12);
}

class EveryFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryFamily, DeterministicRoundTripAndAdditiveExplanations) {
    const std::string family = GetParam();
    const Design d = build_design(features::build_feature_rows(synthetic_loads(24 * 30)), {1, 1}, kEveryLead, {});
    Vector y = d.y;
    if (!is_regressor(family)) y = (d.y.array() > 1.5).cast<double>();
    const nlohmann::json params = family == "ensemble" ? nlohmann::json{{"members", {"xgboost", "linear"}}} : nlohmann::json();
    auto a = make_model(family, 7, params), b = make_model(family, 7, params);
    a->fit(d.X, y);
    b->fit(d.X, y);
    const Vector pa = a->predict(d.X);
    EXPECT_EQ(pa, b->predict(d.X)) << "same seed, same data: same model";

    const std::string path = ::testing::TempDir() + "/model-" + family + "-" + std::to_string(getpid()) + ".json";
    a->save(path);
    const auto loaded = load_model(path);
    std::filesystem::remove(path);
    EXPECT_EQ(loaded->family(), family);
    EXPECT_EQ(loaded->predict(d.X), pa) << "save -> load changes predictions";

    const Matrix some = d.X.topRows(20);
    const auto explanations = loaded->explain(some);
    const Vector p = loaded->predict(some);
    for (Eigen::Index r = 0; r < some.rows(); ++r) {
        double sum = explanations[r].base;
        for (double c : explanations[r].contributions) sum += c;
        const double expected = is_regressor(family) ? p[r] : std::log(p[r] / (1 - p[r]));  // logistic: log-odds
        EXPECT_NEAR(sum, expected, 1e-4) << "row " << r;
    }
    if (is_regressor(family)) {
        const double mae = (pa - d.y).cwiseAbs().mean();
        EXPECT_LT(mae, 0.15) << family << " did not learn the daily pattern";
    }
}

INSTANTIATE_TEST_SUITE_P(Training, EveryFamily,
                         ::testing::Values("linear", "logistic", "random_forest", "xgboost", "mlp", "ensemble"));

// Tree models fit log(load + 0.05) by default and kW on request; either way the explanation sums to the kW
// forecast, the file remembers which (a file without the attribute, as versions before it wrote, is kW), and
// a load the log cannot take is an error naming the setting.
TEST(Models, TreeTargetsLogAndKw) {
    const Design d = build_design(features::build_feature_rows(synthetic_loads(24 * 30)), {1, 1}, kEveryLead, {});
    const Matrix some = d.X.topRows(20);
    for (const std::string family : {"xgboost", "random_forest"}) {
        auto log = make_model(family, 5), kw = make_model(family, 5, {{"target", "kw"}});
        log->fit(d.X, d.y);
        kw->fit(d.X, d.y);
        const Vector pl = log->predict(some), pk = kw->predict(some);
        EXPECT_FALSE(pl.isApprox(pk, 1e-6)) << family << ": the two targets made the same model";
        EXPECT_LT((pl - d.y.head(20)).cwiseAbs().mean(), 0.15) << family << " on the log scale did not learn the pattern";
        for (const auto* m : {log.get(), kw.get()}) {
            const auto e = m->explain(some);
            const Vector p = m->predict(some);
            for (Eigen::Index r = 0; r < some.rows(); ++r) {
                double sum = e[r].base;
                for (double c : e[r].contributions) sum += c;
                EXPECT_NEAR(sum, p[r], 1e-4) << family << " row " << r;
            }
        }
        const std::string path = ::testing::TempDir() + "/tree-target-" + std::to_string(getpid()) + ".json";
        kw->save(path);
        auto file = nlohmann::json::parse(std::ifstream(path));
        auto& attributes = file["learner"]["attributes"];
        ASSERT_EQ(attributes.value("voltedge_target", ""), "kw");
        attributes.erase("voltedge_target");
        std::ofstream(path) << file.dump();
        EXPECT_EQ(load_model(path)->predict(some), pk) << family << ": a file without the target attribute is not read as kW";
        log->save(path);
        EXPECT_EQ(load_model(path)->predict(some), pl) << family << ": the log target was lost in the file";
        std::filesystem::remove(path);
    }
    Vector negative = d.y;
    negative[3] = -0.2;
    try {
        make_model("xgboost", 1)->fit(d.X, negative);
        FAIL() << "a -0.2 kW load was fitted on the log scale";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("-0.2"), std::string::npos) << e.what();
        EXPECT_NE(e.hint().find("\"kw\""), std::string::npos) << e.hint();
    }
    EXPECT_NO_THROW(make_model("xgboost", 1, {{"target", "kw"}})->fit(d.X, negative));
    EXPECT_THROW(make_model("xgboost", 1, {{"target", "sqrt"}}), Error);
}

// The ensemble is the plain mean of its members; members must be other regression families.
TEST(Models, EnsembleIsTheMeanOfItsMembers) {
    const Design d = build_design(features::build_feature_rows(synthetic_loads(24 * 30)), {1, 1}, kEveryLead, {});
    auto x = make_model("xgboost", 3), l = make_model("linear", 3);
    x->fit(d.X, d.y);
    l->fit(d.X, d.y);
    const Vector mean = (x->predict(d.X) + l->predict(d.X)) / 2;
    std::vector<std::unique_ptr<Model>> members;
    members.push_back(std::move(x));
    members.push_back(std::move(l));
    EXPECT_TRUE(ensemble_of(std::move(members))->predict(d.X).isApprox(mean, 1e-12));
    EXPECT_THROW(make_model("ensemble", 1, {{"members", {"xgboost"}}}), Error);
    EXPECT_THROW(make_model("ensemble", 1, {{"members", {"xgboost", "logistic"}}}), Error);
    EXPECT_THROW(make_model("ensemble", 1), Error);
    // In a training config: after at least two regressors, members a count or a list of them.
    EXPECT_NO_THROW(TrainConfig::from_json(R"({"families": ["xgboost", "mlp", "ensemble"]})", "t"));
    EXPECT_THROW(TrainConfig::from_json(R"({"families": ["ensemble", "xgboost", "mlp"]})", "t"), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"families": ["xgboost", "mlp", "ensemble"], "params": {"ensemble": {"members": 3}}})",
                                        "t"),
                 Error);
    EXPECT_THROW(
        TrainConfig::from_json(
            R"({"families": ["xgboost", "mlp", "ensemble"], "params": {"ensemble": {"members": ["xgboost", "linear"]}}})", "t"),
        Error);
}

TEST(Models, UnknownFamilyIsAClearError) {
    EXPECT_THROW(make_model("prophet", 1), Error);
    try {
        TrainConfig::from_json(R"({"families": ["xgboost", "prophet"]})", "test.json");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("prophet"), std::string::npos);
    }
    EXPECT_THROW(TrainConfig::from_json(R"({"horizons": [1, 72]})", "t"), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"folds": "four"})", "t"), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"fold_size": 3})", "t"), Error);
    const auto ok = TrainConfig::from_json(R"({"families": ["linear"], "horizons": [1, 6, 48], "fold_days": 7})", "t");
    EXPECT_EQ(ok.backtest.fold_hours, 168);
}

// leads_per_target: one number for every family, or an object by family (the others take 1); bad ones name
// the family or the range.
TEST(Train, LeadsPerTargetByFamily) {
    const TrainConfig defaults;
    EXPECT_EQ(defaults.leads_per_target_of("xgboost"), 4);
    EXPECT_EQ(defaults.leads_per_target_of("mlp"), 1);
    const auto every = TrainConfig::from_json(R"({"leads_per_target": 2})", "t");
    EXPECT_EQ(every.leads_per_target_of("xgboost"), 2);
    EXPECT_EQ(every.leads_per_target_of("linear"), 2);
    const auto some = TrainConfig::from_json(R"({"leads_per_target": {"random_forest": 3}})", "t");
    EXPECT_EQ(some.leads_per_target_of("random_forest"), 3);
    EXPECT_EQ(some.leads_per_target_of("xgboost"), 1);
    EXPECT_NE(config_error(R"({"leads_per_target": {"prophet": 2}})").find("prophet"), std::string::npos);
    EXPECT_NE(config_error(R"({"leads_per_target": {"xgboost": 60}})").find("xgboost must be 1..48"), std::string::npos);
    EXPECT_NE(config_error(R"({"leads_per_target": 0})").find("1..48"), std::string::npos);
    EXPECT_NE(config_error(R"({"leads_per_target": {"xgboost": "four"}})").find("wrong type"), std::string::npos);
}

// The shipped configs/training.json and the built-in defaults (voltedge train without --config) agree, but
// for the location of the UCI household (Sceaux), which brings the daylight inputs.
TEST(Train, ShippedConfigEqualsTheDefaults) {
    std::ifstream in(std::string(VOLTEDGE_SOURCE_DIR) + "/configs/training.json");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto shipped = TrainConfig::from_json(text, "configs/training.json");
    const TrainConfig defaults;
    EXPECT_EQ(shipped.families, defaults.families);
    EXPECT_EQ(shipped.horizons, defaults.horizons);
    EXPECT_EQ(shipped.backtest.folds, defaults.backtest.folds);
    EXPECT_EQ(shipped.backtest.fold_hours, defaults.backtest.fold_hours);
    EXPECT_EQ(shipped.backtest.window, defaults.backtest.window);
    EXPECT_EQ(shipped.backtest.train_hours, defaults.backtest.train_hours);
    EXPECT_EQ(shipped.seed, defaults.seed);
    EXPECT_EQ(shipped.leads_per_target, defaults.leads_per_target);
    EXPECT_EQ(shipped.leads_per_target_default, defaults.leads_per_target_default);
    auto groups = defaults.input_groups;
    groups.push_back("daylight");
    EXPECT_EQ(shipped.input_groups, groups);
    ASSERT_TRUE(shipped.location.has_value());
    EXPECT_NEAR(shipped.location->latitude, 48.78, 0.01);
    EXPECT_FALSE(defaults.location.has_value());
}

// A location brings the daylight inputs unless input_groups is given; daylight without a location, or a location
// that is not one, is an error naming what is wrong.
TEST(Train, ALocationBringsDaylightAndBadOnesNameTheField) {
    const auto located = TrainConfig::from_json(R"({"location": {"latitude": 48.78, "longitude": 2.29, "utc_offset_hours": 1}})",
                                                "t");
    EXPECT_EQ(located.input_groups.back(), "daylight");
    const auto chosen = TrainConfig::from_json(
        R"({"input_groups": ["electrical"], "location": {"latitude": 48.78, "longitude": 2.29, "utc_offset_hours": 1}})", "t");
    EXPECT_EQ(chosen.input_groups, std::vector<std::string>{"electrical"});
    EXPECT_NE(config_error(R"({"input_groups": ["daylight"]})").find("needs the meter's location"), std::string::npos);
    EXPECT_NE(config_error(R"({"location": {"latitude": 95, "longitude": 2.29, "utc_offset_hours": 1}})")
                  .find("location.latitude is 95"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"location": {"latitude": 48.78, "longitude": "east", "utc_offset_hours": 1}})")
                  .find("location.longitude is missing or not a number"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"location": {"latitude": 48.78, "longitude": 2.29}})").find("exactly latitude, longitude"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"location": [48.78, 2.29]})").find("exactly latitude, longitude"), std::string::npos);
}

// Hyperparameters over a family's defaults: the known ones change the model, unknown ones name themselves.
TEST(Models, ParamsOverrideTheDefaultsAndUnknownOnesAreErrors) {
    const auto tuned = make_model("xgboost", 1, {{"max_depth", 3}, {"rounds", 20}});
    bool depth = false, rounds = false;
    for (const auto& [k, v] : tuned->params()) {
        depth = depth || (k == "max_depth" && v == "3");
        rounds = rounds || (k == "rounds" && v == "20");
    }
    EXPECT_TRUE(depth && rounds);
    try {
        make_model("xgboost", 1, {{"max_dept", 3}});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("max_dept"), std::string::npos);
    }
    EXPECT_THROW(make_model("xgboost", 1, {{"max_depth", "deep"}}), Error);
    EXPECT_THROW(make_model("xgboost", 1, {{"objective", 1}}), Error);  // what the family is, not a knob
    EXPECT_THROW(make_model("mlp", 1, {{"epochs", 3}}), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"params": {"xgboost": {"depth": 3}}})", "t"), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"params": {"prophet": {}}})", "t"), Error);
    EXPECT_THROW(TrainConfig::from_json(R"({"input_groups": ["recent_minutes", "gossip"]})", "t"), Error);
    const auto c = TrainConfig::from_json(R"({"params": {"xgboost": {"max_depth": 4}}, "input_groups": []})", "t");
    EXPECT_EQ(c.params_of("xgboost")["max_depth"], 4);
    EXPECT_TRUE(c.params_of("linear").is_null());
    EXPECT_TRUE(c.input_groups.empty());
}

// The baselines are no model family, but they forecast load: the table scores them on MAE like the regressors.
TEST(Train, BacktestTableScoresTheBaselinesOnLoad) {
    TrainReport report;
    report.scores.push_back({"linear", 1, -1, {}, 7, {100, 0.5, 0.6, 10, 8}, {}});
    report.scores.push_back({"persistence", 1, -1, {}, 7, {100, 1.0, 1.2, 20, 16}, {}});
    report.scores.push_back({"persistence", 1, 0, {}, 7, {100, 1.0, 1.2, 20, 16}, {}});  // lead 1 has folds: shown
    report.scores.push_back({"linear", 2, -1, {}, 7, {100, 0.7, 0.8, 10, 8}, {}});       // lead 2 has none: only in the CSV
    report.lead_weighted_mae = {{"linear", 0.55}, {"persistence", 1.0}};
    const std::string table = format_backtest_table(report);
    EXPECT_NE(table.find("100 test hours scored; 7 with minutes filled in by ingestion left out"), std::string::npos) << table;
    EXPECT_NE(table.find("persistence"), std::string::npos) << table;
    EXPECT_NE(table.find("+50.0%"), std::string::npos) << table;  // linear's skill: half persistence's MAE
    EXPECT_EQ(table.find("0.7000"), std::string::npos) << table;
    EXPECT_NE(table.find("(the champion criterion): linear 0.5500; persistence 1.0000"), std::string::npos) << table;
    EXPECT_EQ(table.find("peak-hour classifier"), std::string::npos) << table;
}

// Split-conformal intervals on a synthetic series with known noise: a model fitted on the first part, calibrated
// on the errors of the second, covers the third at the nominal rates (within 3 points).
TEST(Intervals, CoverageOnASyntheticSeriesWithKnownNoise) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> noise(0, 0.2);
    std::vector<features::HourLoad> loads;
    for (int i = 0; i < 24 * 400; ++i)
        loads.push_back({hour0() + Minute(i) * 60, 2 + 0.8 * std::sin(2 * M_PI * (i % 24) / 24.0) + noise(rng)});
    const Design d = build_design(features::build_feature_rows(loads), {1, 1}, kEveryLead, {});
    const Eigen::Index third = d.y.size() / 3;
    auto model = make_model("linear", 1);
    model->fit(d.X.topRows(third), d.y.head(third));
    const Vector predicted = model->predict(d.X);
    models::ConformalIntervals intervals;
    for (Eigen::Index i = third; i < 2 * third; ++i)
        intervals.add(1, features::calendar_of(d.target_hour[i]).daypart, d.y[i] - predicted[i],
                      models::ConformalIntervals::level_of(d.X.row(i).data()));
    // Through the bundle's JSON, as serving reads it.
    const auto served = models::ConformalIntervals::from_json(intervals.to_json());
    std::vector<IntervalPoint> points;
    for (Eigen::Index i = 2 * third; i < d.y.size(); ++i) {
        const auto iv = served.around(predicted[i], 1, features::calendar_of(d.target_hour[i]).daypart,
                                      models::ConformalIntervals::level_of(d.X.row(i).data()));
        ASSERT_TRUE(iv);
        points.push_back({d.y[i], iv->lower_80, iv->upper_80, iv->lower_95, iv->upper_95});
    }
    const IntervalMetrics m = interval_metrics(points);
    EXPECT_NEAR(m.coverage_80, 0.80, 0.03);
    EXPECT_NEAR(m.coverage_95, 0.95, 0.03);
    // A Gaussian error of sd 0.2 (plus a little model error): the 80 % interval is about 2 x 1.28 x 0.2 wide.
    EXPECT_NEAR(m.width_80, 2 * 1.2816 * 0.2, 0.06);
    EXPECT_GT(m.width_95, m.width_80);
    EXPECT_FALSE(served.around(1.0, 2, 0, 1.0));  // lead 2 was never calibrated: no interval rather than a made-up one
}

TEST(Intervals, SmallGroupsBorrowTheirLeadAndBoundsStayAboveZero) {
    models::ConformalIntervals intervals;
    for (int i = 0; i < 100; ++i) intervals.add(3, 0, (i - 50) / 50.0, 1.0);  // errors -1 .. 0.98 at night
    intervals.add(3, 2, 5.0, 1.0);                                            // one afternoon error: too few to stand alone
    const auto afternoon = intervals.around(0.5, 3, 2, 1.0);
    ASSERT_TRUE(afternoon);
    EXPECT_GE(afternoon->lower_95, 0.0);
    EXPECT_LT(afternoon->upper_95, 5.5);  // the lead's 101 errors, not the single 5.0
    const auto round_trip = models::ConformalIntervals::from_json(intervals.to_json()).around(0.5, 3, 2, 1.0);
    const auto doubled = intervals.around(0.5, 3, 2, 2.0);  // errors scale with the load level
    ASSERT_TRUE(doubled);
    EXPECT_NEAR(doubled->upper_80 - 0.5, 2 * (afternoon->upper_80 - 0.5), 1e-12);
    ASSERT_TRUE(round_trip);
    EXPECT_DOUBLE_EQ(round_trip->upper_80, afternoon->upper_80);
}

TEST(Metrics, IntervalArithmetic) {
    const IntervalMetrics m = interval_metrics({{1.0, 0.5, 1.5, 0.0, 2.0}, {3.0, 0.5, 1.5, 0.0, 2.0}});
    EXPECT_EQ(m.n, 2u);
    EXPECT_DOUBLE_EQ(m.coverage_80, 0.5);
    EXPECT_DOUBLE_EQ(m.coverage_95, 0.5);
    EXPECT_DOUBLE_EQ(m.width_80, 1.0);
    EXPECT_DOUBLE_EQ(m.width_95, 2.0);
    // Second point, 3.0 above every bound: (0.025*3 + 0.1*2.5 + 0.9*1.5 + 0.975*1) / 4; first: inside all four.
    const double first = (0.025 * 1 + 0.1 * 0.5 + 0.1 * 0.5 + 0.025 * 1) / 4;
    const double second = (0.025 * 3 + 0.1 * 2.5 + 0.9 * 1.5 + 0.975 * 1) / 4;
    EXPECT_NEAR(m.pinball, (first + second) / 2, 1e-12);
}

// The forecast plot draws the 80 % and 95 % bands behind the forecast when given them.
TEST(Plots, ForecastWithIntervalBands) {
    std::vector<Minute> hours;
    std::vector<double> actual, predicted;
    std::vector<std::array<double, 4>> bands;
    for (int i = 0; i < 48; ++i) {
        hours.push_back(hour0() + Minute(i) * 60);
        actual.push_back(1 + std::sin(i / 4.0));
        predicted.push_back(1 + std::sin(i / 4.0 + 0.2));
        bands.push_back({predicted.back() - 0.2, predicted.back() + 0.2, predicted.back() - 0.4, predicted.back() + 0.5});
    }
    const std::string with = ::testing::TempDir() + "bands-" + std::to_string(getpid()) + ".png",
                      without = ::testing::TempDir() + "nobands-" + std::to_string(getpid()) + ".png";
    plot_forecast_vs_actual(with, "with", hours, actual, predicted, bands);
    plot_forecast_vs_actual(without, "without", hours, actual, predicted);
    ASSERT_TRUE(std::filesystem::exists(with) && std::filesystem::exists(without));
    EXPECT_GT(std::filesystem::file_size(with), std::filesystem::file_size(without));  // the shaded bands add pixels
    std::filesystem::remove(with);
    std::filesystem::remove(without);
}
