#include "evaluations/forecast_eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "core/civil_time.h"
#include "core/error.h"
#include "serving/hindcast.h"

namespace voltedge::evaluations {
namespace {

std::vector<double> finite(const std::vector<double>& v) {
    std::vector<double> out;
    for (double x : v)
        if (std::isfinite(x)) out.push_back(x);
    return out;
}

}  // namespace

double population_stability_index(std::vector<double> reference, const std::vector<double>& recent_in) {
    reference = finite(reference);
    const auto recent = finite(recent_in);
    if (reference.size() < 20 || recent.size() < 20) return 0;
    std::sort(reference.begin(), reference.end());
    std::vector<double> edges;  // inner decile edges, without repeats (a feature with few values has fewer bins)
    for (int d = 1; d < 10; ++d) {
        const double e = reference[reference.size() * static_cast<std::size_t>(d) / 10];
        if (edges.empty() || e > edges.back()) edges.push_back(e);
    }
    const auto shares = [&](const std::vector<double>& v) {
        std::vector<double> counts(edges.size() + 1, 0);
        for (double x : v) ++counts[static_cast<std::size_t>(std::upper_bound(edges.begin(), edges.end(), x) - edges.begin())];
        for (auto& c : counts) c = std::max(c / static_cast<double>(v.size()), 1e-4);
        return counts;
    };
    const auto expected = shares(reference), actual = shares(recent);
    double psi = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) psi += (actual[i] - expected[i]) * std::log(actual[i] / expected[i]);
    return psi;
}

std::vector<EvalResult> ForecastEvaluation::results(const SloConfig& slo) const {
    std::vector<EvalResult> out;
    const double margin = slo.margin_for(stage);
    for (const auto& l : leads) {
        const std::string p = fmt::format("h{}_", l.lead);
        // Held to its own backtest: no worse than the backtest MAE by more than the stage's margin.
        out.push_back({p + "mae", l.mae, l.backtest_mae ? std::optional(*l.backtest_mae * (1 + margin)) : std::nullopt});
        out.push_back({p + "rmse", l.rmse, std::nullopt});
        out.push_back({p + "wape", l.wape, std::nullopt});
        out.push_back({p + "persistence_mae", l.persistence_mae, std::nullopt});
        out.push_back({p + "backtest_mae", l.backtest_mae, std::nullopt});
        out.push_back({p + "hours", static_cast<double>(l.hours), std::nullopt});
    }
    if (!drift.empty()) {
        out.push_back({"max_psi", max_psi(), slo.max_psi});
        for (const auto& d : drift) out.push_back({"psi_" + d.feature, d.psi, std::nullopt});
    }
    return out;
}

ForecastEvaluation evaluate_forecast(pqxx::connection& conn, registry::ModelRegistry& registry,
                                     registry::ExperimentTracker& tracker, const std::string& tenant,
                                     const std::string& version_or_alias, const std::vector<int>& leads, int max_hours) {
    const auto v = registry::find_version(registry, tenant, version_or_alias);
    if (!v)
        throw Error("tenant " + tenant + " has no model version or alias '" + version_or_alias + "'",
                    "voltedge models --tenant " + tenant);
    const auto run = tracker.run(v->run_id);
    const auto train_last = parse_minute(run.param("train_last_hour"));
    if (!train_last) throw Error("the run of version " + v->version + " records no train_last_hour", "retrain with this release");
    const auto bundle = serving::fetch_bundle(registry, tenant, *v);

    ForecastEvaluation e;
    e.tenant = tenant;
    e.version = v->version;
    e.run_id = v->run_id;
    const bool is_alias = !version_or_alias.empty() && !std::isdigit(static_cast<unsigned char>(version_or_alias[0]));
    e.stage = is_alias ? version_or_alias : "production";
    e.train_last_hour = format_minute(*train_last);

    const auto scored = serving::hindcast(conn, tenant, *bundle, *train_last, leads, max_hours);
    Minute first = 0, last = 0;
    for (int lead : leads) {
        LeadEvaluation l;
        l.lead = lead;
        double abs_sum = 0, sq_sum = 0, actual_sum = 0, persistence_sum = 0;
        std::size_t persistence_n = 0;
        for (const auto& h : scored) {
            if (h.lead != lead) continue;
            const double err = h.value_kw - h.actual_kw;
            abs_sum += std::abs(err);
            sq_sum += err * err;
            actual_sum += std::abs(h.actual_kw);
            ++l.hours;
            if (std::isfinite(h.last_known_kw)) {
                persistence_sum += std::abs(h.last_known_kw - h.actual_kw);
                ++persistence_n;
            }
            first = first ? std::min(first, h.target_hour) : h.target_hour;
            last = std::max(last, h.target_hour);
        }
        if (l.hours == 0) continue;
        const double n = static_cast<double>(l.hours);
        l.mae = abs_sum / n;
        l.rmse = std::sqrt(sq_sum / n);
        l.wape = actual_sum > 0 ? abs_sum / actual_sum : 0;
        l.persistence_mae = persistence_n ? persistence_sum / static_cast<double>(persistence_n) : 0;
        if (const auto it = run.metrics.find(fmt::format("h{}_mae_all", lead)); it != run.metrics.end())
            l.backtest_mae = it->second;
        e.leads.push_back(l);
    }
    if (first) {
        e.window_first = format_minute(first);
        e.window_last = format_minute(last);
    }

    // Drift: the training window's last 90 days against everything after it.
    constexpr Minute kDay = 24 * 60;
    const auto reference = serving::feature_columns(conn, tenant, *train_last - 90 * kDay, *train_last);
    const auto recent = serving::feature_columns(conn, tenant, *train_last, *train_last + 3650 * kDay);
    const auto it = recent.find("load_kw");
    if (it != recent.end() && it->second.size() >= 20)
        for (const auto& [feature, values] : recent)
            if (const auto ref = reference.find(feature); ref != reference.end())
                e.drift.push_back({feature, population_stability_index(ref->second, values)});
    std::sort(e.drift.begin(), e.drift.end(), [](const Drift& a, const Drift& b) { return a.psi > b.psi; });
    return e;
}

}  // namespace voltedge::evaluations
