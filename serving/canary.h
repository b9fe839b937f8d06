#pragma once
// Canary rollouts (table canary_rollouts): which version a tenant's canary is, and the share of its requests it
// serves. A request goes to the canary when the hash of its sticky key (the API key, so one client sees one
// version) falls under the share. The controller (evaluations/canary.h) moves the share; the API reads it.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace voltedge::serving {

struct Rollout {
    std::string id, version, status, reason;
    std::vector<int> steps;
    int step = 0, share = 0, interval_seconds = 0;
};

// The tenant's running rollout, if any.
std::optional<Rollout> running_rollout(pqxx::connection& conn, const std::string& tenant);
// The newest rollout of the tenant, running or finished.
std::optional<Rollout> latest_rollout(pqxx::connection& conn, const std::string& tenant);
// Each change below is an audit row by `actor` in the same transaction (canary.start, canary.step, canary.finish),
// naming the rollout, the model version and the share.
// Starts one at steps[0]; throws Error when the tenant already has one running.
Rollout start_rollout(pqxx::connection& conn, const std::string& tenant, const std::string& version,
                      const std::vector<int>& steps, int interval_seconds, const std::string& actor);
void set_rollout_step(pqxx::connection& conn, const std::string& tenant, const Rollout& rollout, int step,
                      const std::string& actor);
void finish_rollout(pqxx::connection& conn, const std::string& tenant, const Rollout& rollout, const std::string& status,
                    const std::string& reason, const std::string& actor);

// Whether `sticky_key` is in the canary's `share` percent (a stable hash: the same key, the same answer).
bool routed_to_canary(const std::string& sticky_key, int share);

}  // namespace voltedge::serving
