#pragma once
// The canary controller (a worker job): puts `version` beside production under alias `canary`, raises its share
// of the tenant's requests step by step (serving/canary.h; the API reads the share), and after each interval
// holds it to the SLOs on what it served in that interval: server error rate and p95 latency (serving_minutes,
// once it served min_requests), and accuracy (the MAE of its forecasts whose hour has been measured, against
// production's on the same interval, within the canary margin; when production served fewer than min_scored of
// them there, as at 100 %, against production's over the rollout so far and the interval before it). When every
// step holds it is promoted (production -> version, the old production kept as previous); at the first breach it
// is rolled back (share 0, alias removed, production untouched). Each move is an audit row.
#include <chrono>
#include <functional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "evaluations/slo.h"
#include "registry/model_registry.h"

namespace voltedge::evaluations {

struct CanaryOptions {
    std::string version;
    std::vector<int> steps = {5, 25, 50, 100};
    std::chrono::seconds interval{300};
    std::string actor = "canary-controller";
    double mae_tolerance_kw = 0.01;  // accuracy: canary MAE <= production MAE * (1 + canary margin) + this
    std::size_t min_scored = 10;     // forecasts with a measured hour each version needs before accuracy is judged
};

struct CanaryStep {
    int share = 0;
    long requests = 0, errors = 0;
    double p95_latency_ms = 0;
    std::size_t canary_scored = 0, production_scored = 0;
    double canary_mae = 0, production_mae = 0;
    long production_window_seconds = 0;  // the interval, or the rollout so far and the interval before it
    bool accuracy_judged = false;        // both versions had min_scored measured forecasts
    std::string breach;                  // empty: held
};

struct CanaryOutcome {
    std::string status;  // promoted or rolled_back
    std::string reason;
    std::vector<CanaryStep> steps;
};

// Runs the rollout to its end. `wait` sleeps for an interval (tests and the job pass the real sleep).
CanaryOutcome run_canary(pqxx::connection& conn, registry::ModelRegistry& registry, const std::string& tenant,
                         const CanaryOptions& options, const SloConfig& slo,
                         const std::function<void(std::chrono::seconds)>& wait, const std::string& source_commit);

}  // namespace voltedge::evaluations
