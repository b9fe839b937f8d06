#pragma once
// The `predictions` table: every served forecast, with the model that made it and its exact inputs, so it
// can be explained later. All calls run as the tenant (row-level security decides what is visible).
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "serving/forecast.h"

namespace voltedge::serving {

// A random (version 4) UUID.
std::string new_prediction_id();
bool is_prediction_id(const std::string& s);

struct StoredPrediction {
    std::string id;
    Minute target_hour = 0, origin_hour = 0;
    int horizon = 0;
    double value_kw = 0;
    std::string model_name, model_version, model_family, request_id;
    std::vector<double> inputs;
};

// Writes `forecasts` made by `model` in one transaction, in one round trip; returns their new ids in order.
std::vector<std::string> store_predictions(pqxx::connection& conn, const std::string& tenant, const ModelBundle& model,
                                           const std::vector<Forecast>& forecasts, const std::string& request_id);

// The tenant's prediction `id`; nullopt when it does not exist or belongs to another tenant (indistinguishable).
std::optional<StoredPrediction> find_prediction(pqxx::connection& conn, const std::string& tenant, const std::string& id);

}  // namespace voltedge::serving
