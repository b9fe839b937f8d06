#pragma once
// `voltedge train`: backtest every configured family and the naive baselines on the same splits at every lead
// 1..max horizon, log each family as a tracked run (params, per-lead and per-split metrics, model, feature
// list, backtest tables, plots), and register the champion (lowest MAE over every lead, weighted 1/lead) with
// alias `staging`.
#include <pqxx/pqxx>
#include <map>
#include <string>
#include <vector>

#include "registry/model_registry.h"
#include "training/backtest.h"
#include "training/metrics.h"

namespace voltedge::training {

struct TrainConfig {
    std::vector<std::string> families = {"linear", "logistic", "random_forest", "xgboost", "mlp"};
    // Leads are forecast by buckets: horizons [1, 6, 24] means one model for lead 1, one for leads 2..6 and one
    // for 7..24, each taking the lead as an input (training/design.h). [1, 2, ..., 48] is one model per lead.
    std::vector<int> horizons = {1, 48};  // hours; each between 1 and 48 (configs/training.json agrees: tested)
    int leads_per_target = 1;             // training rows per target hour in a bucket of leads (training/design.h)
    BacktestOptions backtest;
    std::uint64_t seed = 42;
    // Target hours with minutes filled in by ingestion are left out of every score unless this is set (their
    // count is reported either way): a filled-in hour is a copy or a line, not a measurement.
    bool score_imputed_targets = false;

    // Reads a JSON object with any of: families, horizons, folds, fold_days, window, train_days, seed,
    // score_imputed_targets.
    // Unknown keys, unknown families and out-of-range values are errors naming the key.
    static TrainConfig from_json(const std::string& text, const std::string& origin);
    void validate() const;
};

struct SplitScore {
    std::string model;  // family or baseline name
    int horizon;
    int split;  // -1 = all splits pooled
    Split bounds;
    std::size_t imputed_excluded = 0;  // test targets left out because ingestion filled them in
    RegressionMetrics regression;
    ClassificationMetrics classification;  // logistic only
};

struct FamilyResult {
    std::string family, run_id;
    double seconds = 0;
};

struct TrainReport {
    std::vector<SplitScore> scores;
    std::vector<FamilyResult> families;
    std::map<std::string, double> lead_weighted_mae;                  // regressors and baselines: the champion criterion
    std::map<std::string, std::map<int, IntervalMetrics>> intervals;  // regressor -> lead -> on later folds
    std::string champion, registered_version, model_name;
    double seconds = 0;
};

// The tenant's experiment in the tracker.
std::string experiment_name(const std::string& tenant);

// Runs left running by a killed training process are marked failed first (the tenant's training lock
// tells that no process owns them). Throws Error when another process is training the tenant.
TrainReport train(pqxx::connection& app_conn, registry::ExperimentTracker& tracker, registry::ModelRegistry& registry,
                  const std::string& tenant, const TrainConfig& config);

// The pooled backtest table, one line per model and horizon, for the terminal.
std::string format_backtest_table(const TrainReport& report);

}  // namespace voltedge::training
