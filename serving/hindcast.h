#pragma once
// What a model version would have served for hours already measured: each target hour forecast from its origin
// row at a given lead, exactly as /predict would have then (serving/forecast.h), beside the load measured and
// the last load known at the origin (persistence). The forecast evaluation scores versions with it.
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/civil_time.h"
#include "models/bundle.h"
#include "registry/model_registry.h"

namespace voltedge::serving {

struct Hindcast {
    Minute target_hour = 0;
    int lead = 0;
    double value_kw = 0, actual_kw = 0;
    double last_known_kw = 0;  // NaN when the origin row has no lag_1
};

// A version's bundle, fetched from the registry. Throws Error naming what is missing.
std::shared_ptr<const models::ModelBundle> fetch_bundle(registry::ModelRegistry& registry, const std::string& tenant,
                                                        const registry::ModelVersion& version);

// For at most `max_hours` measured, fully present target hours after `after`, each lead the bundle serves.
std::vector<Hindcast> hindcast(pqxx::connection& conn, const std::string& tenant, const models::ModelBundle& bundle, Minute after,
                               const std::vector<int>& leads, int max_hours);

// The load and every value feature (by name) of the tenant's feature rows with from < hour <= to.
std::map<std::string, std::vector<double>> feature_columns(pqxx::connection& conn, const std::string& tenant, Minute from,
                                                           Minute to);

}  // namespace voltedge::serving
