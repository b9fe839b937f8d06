#pragma once
// model_eval_results (db/migrations/015): each evaluated metric with the threshold it was held to.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::evaluations {

struct EvalResult {
    std::string metric;
    std::optional<double> value;
    std::optional<double> threshold;  // none: recorded, not gated
    bool lower_is_better = true;      // how value meets threshold
    std::optional<bool> passed() const;
};

struct EvalRecord {
    std::string tenant, subject, version, stage;           // subject: model, agent, retrieval
    std::string mlflow_run_id, window_first, window_last;  // "YYYY-MM-DD HH:MM" or empty
    std::vector<EvalResult> results;
};

// Stores every result of one evaluation in one transaction; returns the evaluation's id.
std::string store_results(pqxx::connection& conn, const EvalRecord& record);

struct StoredResult {
    std::string version, stage, metric, evaluated_at;
    std::optional<double> value, threshold;
    std::optional<bool> passed;
};
// The newest row of `metric` for the subject within the last `window_hours` (0: any time).
std::optional<StoredResult> latest_result(pqxx::connection& conn, const std::string& tenant, const std::string& subject,
                                          const std::string& metric, int window_hours, const std::string& version = "");

}  // namespace voltedge::evaluations
