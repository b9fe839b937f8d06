#pragma once
// Service-level objectives, all in one file (configs/slo.json, VOLTEDGE_SLO): what the API, each model version
// and the agent are held to. The forecast evaluation, `voltedge slo check` and the canary controller read the
// same thresholds.
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::evaluations {

struct SloConfig {
    int window_hours = 24;   // the window `slo check` measures over
    long min_requests = 20;  // fewer requests than this in a window: latency and error rate are not judged
    double api_p95_latency_ms = 250, api_error_rate = 0.01;
    // A version's MAE on data after its training may exceed its backtest MAE by at most this share, per stage.
    std::map<std::string, double> mae_margin = {{"staging", 0.25}, {"canary", 0.15}, {"production", 0.10}};
    double max_psi = 0.25;  // population stability index of any feature or the target; above: drift
    std::vector<int> leads = {1, 24};
    double grounding_min = 0.90, hallucination_max = 0.01, answer_p95_latency_ms = 2000, cost_per_request_usd_max = 0.01;

    double margin_for(const std::string& stage) const;  // the production margin for an unknown stage
};

// Throws Error naming the file and the field at fault; absent fields keep their defaults.
SloConfig load_slo(const std::string& path);
SloConfig parse_slo(const std::string& json_text);

// One objective as measured: `value` over the window (or nullopt: no data), the threshold, and whether it holds.
struct SloResult {
    std::string name, unit, comparison;  // comparison: "<=" or ">="
    std::optional<double> value;
    double threshold = 0;
    std::string detail;  // where the value came from
    bool breached() const;
};

// What the API served the tenant (optionally one version) over the last `window_minutes`: from serving_minutes.
struct ServingWindow {
    long requests = 0, errors = 0;
    double p95_latency_ms = 0, mean_latency_ms = 0;
};
ServingWindow serving_window(pqxx::connection& conn, const std::string& tenant, const std::string& version, int window_minutes);

// Every objective for the tenant: API latency and errors over the window, the latest forecast and answer
// evaluations within it. An objective without data in the window is reported, not breached.
std::vector<SloResult> check_slos(pqxx::connection& conn, const std::string& tenant, const SloConfig& slo);

// An objective Prometheus measures for the whole platform (every tenant's traffic, from the API's /metrics) over
// the SLO window: `voltedge slo check` runs `query` against Prometheus' query API when it is up, and reports the
// result times `scale` beside the tenant's own objectives.
struct PrometheusObjective {
    std::string name, unit, comparison;
    double threshold = 0;
    std::string query;  // PromQL, one scalar-like result
    double scale = 1;
};
std::vector<PrometheusObjective> prometheus_objectives(const SloConfig& slo);

}  // namespace voltedge::evaluations
