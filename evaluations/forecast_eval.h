#pragma once
// How a registered model version does on data it was not trained on: the hours after its training window (the
// `train_last_hour` its run recorded) up to the tenant's latest data. Each target hour is forecast from its
// origin row at each lead, exactly as the API would have then, and scored (MAE, RMSE, WAPE) against the
// version's own backtest MAE and against persistence (the last known hour) on the same hours. Drift: the
// population stability index of every feature and of the load, recent rows against the training window's.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "evaluations/results.h"
#include "evaluations/slo.h"
#include "registry/model_registry.h"

namespace voltedge::evaluations {

struct LeadEvaluation {
    int lead = 0;
    std::size_t hours = 0;
    double mae = 0, rmse = 0, wape = 0, persistence_mae = 0;
    std::optional<double> backtest_mae;  // the version's pooled backtest MAE at this lead (h{lead}_mae_all)
};

struct Drift {
    std::string feature;
    double psi = 0;
};

struct ForecastEvaluation {
    std::string tenant, version, stage, run_id;
    std::string train_last_hour, window_first, window_last;  // "YYYY-MM-DD HH:MM"; window empty when no new data
    std::vector<LeadEvaluation> leads;
    std::vector<Drift> drift;  // largest first
    // The rows for model_eval_results, thresholds from `slo` for `stage`.
    std::vector<EvalResult> results(const SloConfig& slo) const;
    double max_psi() const { return drift.empty() ? 0 : drift.front().psi; }
};

// The population stability index of `recent` against `reference`: deciles of the reference, a small floor on
// empty bins. 0 when either side has fewer than 20 finite values.
double population_stability_index(std::vector<double> reference, const std::vector<double>& recent);

// Evaluates `version_or_alias` of the tenant's forecaster over at most `max_hours` target hours after its
// training window. `stage`: which thresholds apply (the alias when one was given, else production). Throws
// Error for an unknown version; no data after the training window gives empty `leads`.
ForecastEvaluation evaluate_forecast(pqxx::connection& conn, registry::ModelRegistry& registry,
                                     registry::ExperimentTracker& tracker, const std::string& tenant,
                                     const std::string& version_or_alias, const std::vector<int>& leads, int max_hours = 24 * 28);

}  // namespace voltedge::evaluations
