#include "evaluations/canary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "serving/canary.h"
#include "serving/promotion.h"

namespace voltedge::evaluations {
namespace {

// MAE and count of the forecasts `version` served in the last `seconds` whose target hour has been measured.
std::pair<double, std::size_t> served_accuracy(pqxx::connection& conn, const std::string& tenant, const std::string& version,
                                               long seconds) {
    return db::with_tenant(conn, tenant, [&](pqxx::work& tx) {
        const auto row = tx.exec_params1("SELECT coalesce(avg(abs(p.value_kw - u.mean_kw)), 0), count(*) FROM predictions p "
                                         "JOIN usage_hourly u ON u.tenant_id = p.tenant_id AND u.hour = p.target_hour "
                                         "WHERE p.model_version = $1 AND p.created_at > now() - make_interval(secs => $2)",
                                         version, seconds);
        return std::pair{row[0].as<double>(), row[1].as<std::size_t>()};
    });
}

// `rollout_seconds`: how long the rollout has run, for production's baseline when it served too little in the
// interval (at 100 % it serves nothing).
CanaryStep judge(pqxx::connection& conn, const std::string& tenant, const std::string& version, const std::string& production,
                 int share, long rollout_seconds, const CanaryOptions& o, const SloConfig& slo) {
    CanaryStep s;
    s.share = share;
    const int minutes = static_cast<int>(o.interval.count() / 60) + 1;  // whole minutes covering the interval
    const auto w = serving_window(conn, tenant, version, minutes);
    s.requests = w.requests;
    s.errors = w.errors;
    s.p95_latency_ms = w.p95_latency_ms;
    if (w.requests >= slo.min_requests) {
        const double error_rate = static_cast<double>(w.errors) / static_cast<double>(w.requests);
        if (error_rate > slo.api_error_rate)
            s.breach = fmt::format("error rate {:.4f} > {} over {} requests", error_rate, slo.api_error_rate, w.requests);
        else if (w.p95_latency_ms > slo.api_p95_latency_ms)
            s.breach = fmt::format("p95 latency {} ms > {} ms", w.p95_latency_ms, slo.api_p95_latency_ms);
    }
    std::tie(s.canary_mae, s.canary_scored) = served_accuracy(conn, tenant, version, o.interval.count());
    s.production_window_seconds = o.interval.count();
    std::tie(s.production_mae, s.production_scored) = served_accuracy(conn, tenant, production, s.production_window_seconds);
    if (s.production_scored < o.min_scored) {
        // Production served too little beside the canary: its baseline is what it served over the whole rollout
        // and the interval before it began, so a bad canary is still judged against something measured.
        s.production_window_seconds = rollout_seconds + o.interval.count();
        std::tie(s.production_mae, s.production_scored) = served_accuracy(conn, tenant, production, s.production_window_seconds);
    }
    const double limit = s.production_mae * (1 + slo.margin_for("canary")) + o.mae_tolerance_kw;
    s.accuracy_judged = s.canary_scored >= o.min_scored && s.production_scored >= o.min_scored;
    if (s.breach.empty() && s.accuracy_judged && s.canary_mae > limit)
        s.breach = fmt::format(
            "accuracy: MAE {:.4f} kW > {:.4f} (production {:.4f} over the last {} s x (1 + {}) + {}) on {} measured hours",
            s.canary_mae, limit, s.production_mae, s.production_window_seconds, slo.margin_for("canary"), o.mae_tolerance_kw,
            s.canary_scored);
    return s;
}

}  // namespace

CanaryOutcome run_canary(pqxx::connection& conn, registry::ModelRegistry& registry, const std::string& tenant,
                         const CanaryOptions& o, const SloConfig& slo, const std::function<void(std::chrono::seconds)>& wait,
                         const std::string& source_commit) {
    const auto production = registry.alias(tenant, "production");
    if (!production) throw Error("tenant " + tenant + " has no production version to canary against", "promote one first");
    const auto found = registry::find_version(registry, tenant, o.version);
    if (!found) throw Error("tenant " + tenant + " has no model version '" + o.version + "'");
    if (found->version == production->version)
        throw Error("version " + found->version + " is already production for tenant " + tenant);
    // A rollout of this version already running is resumed where it was (the job ran before and was cut off).
    auto rollout = serving::running_rollout(conn, tenant);
    if (rollout && rollout->version != found->version)
        throw Error("tenant " + tenant + " already has a canary of version " + rollout->version + " running",
                    "wait for it, or let it roll back");
    const auto version = serving::move_alias(registry, conn, tenant, "canary", found->version, o.actor, source_commit);
    if (!rollout)
        rollout = serving::start_rollout(conn, tenant, version.version, o.steps, static_cast<int>(o.interval.count()), o.actor);
    const std::size_t first_step = static_cast<std::size_t>(rollout->step);
    log_info("canary_started",
             {{"tenant_id", tenant}, {"version", version.version}, {"steps", o.steps}, {"interval_s", o.interval.count()}});

    CanaryOutcome out;
    const auto began = std::chrono::steady_clock::now() -
                       o.interval * static_cast<long>(first_step);  // a resumed rollout ran that long
    for (std::size_t i = first_step; i < rollout->steps.size(); ++i) {
        serving::set_rollout_step(conn, tenant, *rollout, static_cast<int>(i), o.actor);
        log_info("canary_step", {{"tenant_id", tenant}, {"version", version.version}, {"share", rollout->steps[i]}});
        wait(o.interval);
        const long rollout_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count();
        out.steps.push_back(
            judge(conn, tenant, version.version, production->version, rollout->steps[i], rollout_seconds, o, slo));
        const auto& s = out.steps.back();
        log_info("canary_judged", {{"tenant_id", tenant},
                                   {"version", version.version},
                                   {"share", s.share},
                                   {"requests", s.requests},
                                   {"canary_mae", s.canary_mae},
                                   {"canary_scored", s.canary_scored},
                                   {"production_mae", s.production_mae},
                                   {"production_scored", s.production_scored},
                                   {"production_window_s", s.production_window_seconds},
                                   {"breach", s.breach}});
        if (!s.breach.empty()) {
            out.status = "rolled_back";
            out.reason = fmt::format("at {}%: {}", s.share, s.breach);
            serving::finish_rollout(conn, tenant, *rollout, out.status, out.reason, o.actor);
            serving::remove_alias(registry, conn, tenant, "canary", "model.canary_rollback", o.actor, out.reason);
            log_event("warn", "canary_rolled_back",
                      {{"tenant_id", tenant}, {"version", version.version}, {"reason", out.reason}});
            return out;
        }
    }
    serving::move_alias(registry, conn, tenant, "production", version.version, o.actor, source_commit);
    out.status = "promoted";
    const auto judged = std::count_if(out.steps.begin(), out.steps.end(), [](const CanaryStep& s) { return s.accuracy_judged; });
    // Said, not hidden: a canary that served no measured hours was promoted on errors and latency alone.
    out.reason = fmt::format("held every SLO at {} steps up to {}%; accuracy judged at {} of them", rollout->steps.size(),
                             rollout->steps.back(), judged);
    serving::finish_rollout(conn, tenant, *rollout, out.status, out.reason, o.actor);
    serving::remove_alias(registry, conn, tenant, "canary", "model.canary_promoted", o.actor, out.reason);
    log_info("canary_promoted", {{"tenant_id", tenant}, {"version", version.version}});
    return out;
}

}  // namespace voltedge::evaluations
