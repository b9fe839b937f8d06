#pragma once
// What earns its place in a model, measured on the training config's own backtest folds:
//  - `voltedge ablate`: which optional input groups (models/feature_spec.h) lower the backtest MAE;
//  - `voltedge tune`: a family's hyperparameters, by successive halving over random configurations, each
//    trial an MLflow child run under one search run; the best is written back to the training config when it
//    beats the configuration already there.
// The folds that choose a configuration are the folds that then report it, so a tuned figure is a little
// optimistic; the gain over the configuration before (also on those folds) is what the search reports.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "registry/model_registry.h"
#include "training/train.h"

namespace voltedge::training {

struct AblationLine {
    std::string variant;              // "none", "+group", "all", "all - group"
    std::vector<std::string> groups;  // the optional groups on
    BacktestSummary summary;
};

// Backtests `family` without optional groups, with each alone, with all, and with all but each.
std::vector<AblationLine> ablate(const std::vector<features::FeatureRow>& rows, const std::string& tenant,
                                 const TrainConfig& config, const std::string& family);
std::string format_ablation_table(const std::vector<AblationLine>& lines);

struct TuneOptions {
    std::string tenant, family;
    int budget = 12;                // random configurations drawn
    std::string config_path;        // read, and rewritten with the winner's "params"
    std::uint64_t search_seed = 7;  // of the draws (the models keep the config's seed)
    double max_slowdown = 2.0;      // a winner may take at most this many times the current config's backtest time
};

struct Trial {
    int index = 0;  // 0 = the configuration already in the config
    nlohmann::json params;
    int folds = 0;  // the rung: scored on the last fold only, or on all of them
    BacktestSummary summary;
    std::string run_id;
};

struct TuneReport {
    std::vector<Trial> trials;
    std::size_t best = 0;  // into trials: the lowest MAE among those on every fold within the time limit
    bool written = false;  // the config file now holds trials[best].params (it beat trial 0)
    std::string search_run_id;
};

// The families with a search space (the tree families); others are an Error naming them.
std::vector<std::string> tunable_families();

TuneReport tune(pqxx::connection& app_conn, registry::ExperimentTracker& tracker, const TuneOptions& options);
std::string format_tune_report(const TuneReport& report, const TuneOptions& options);

}  // namespace voltedge::training
