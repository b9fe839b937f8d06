#include "serving/hindcast.h"

#include <cmath>

#include "db/connection.h"
#include "features/feature_store.h"
#include "serving/forecast.h"

namespace voltedge::serving {
namespace {
constexpr Minute kHour = 60;
}

std::shared_ptr<const models::ModelBundle> fetch_bundle(registry::ModelRegistry& registry, const std::string& tenant,
                                                        const registry::ModelVersion& v) {
    return models::load_bundle({tenant, v.name, v.version}, [&](const std::string& path) { return registry.fetch(v, path); });
}

std::vector<Hindcast> hindcast(pqxx::connection& conn, const std::string& tenant, const models::ModelBundle& bundle, Minute after,
                               const std::vector<int>& leads, int max_hours) {
    const auto rows = db::with_tenant(conn, tenant,
                                      [&](pqxx::work& tx) { return features::load_feature_rows_since(tx, after - 168 * kHour); });
    std::map<Minute, features::FeatureRow> by_hour;
    std::vector<Minute> targets;
    for (const auto& r : rows) {
        by_hour.emplace(r.hour, r);
        // Hours with filled-in minutes are not scored, as in the backtest.
        if (r.hour > after && std::isfinite(r.load_kw) && r.imputed_minutes == 0 &&
            targets.size() < static_cast<std::size_t>(max_hours))
            targets.push_back(r.hour);
    }
    std::vector<Hindcast> out;
    for (int lead : leads) {
        if (lead < 1 || lead > bundle.max_horizon()) continue;
        std::vector<PlannedTarget> plans;
        for (Minute t : targets)
            if (by_hour.count(t - (lead - 1) * kHour)) plans.push_back({t, lead, t - (lead - 1) * kHour});
        if (plans.empty()) continue;
        for (const auto& f : forecast(bundle, plans, by_hour))
            out.push_back({f.plan.target_hour, lead, f.value_kw, by_hour.at(f.plan.target_hour).load_kw,
                           by_hour.at(f.plan.origin_hour).value[0]});
    }
    return out;
}

std::map<std::string, std::vector<double>> feature_columns(pqxx::connection& conn, const std::string& tenant, Minute from,
                                                           Minute to) {
    const auto rows = db::with_tenant(conn, tenant,
                                      [&](pqxx::work& tx) { return features::load_feature_rows_since(tx, from + kHour); });
    std::map<std::string, std::vector<double>> out;
    const auto& names = features::value_feature_names();
    for (const auto& r : rows) {
        if (r.hour > to) break;
        out["load_kw"].push_back(r.load_kw);
        for (std::size_t k = 0; k < names.size(); ++k) out[names[k]].push_back(r.value[k]);
    }
    return out;
}

}  // namespace voltedge::serving
