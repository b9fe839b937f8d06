#pragma once
// A registered forecaster as the API serves it: the bundle `voltedge train` uploads (bundle.json plus one
// model file per horizon), loaded from MLflow into memory. Immutable once loaded, so request threads share
// it freely; a reload builds a new bundle and swaps the pointer.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "registry/mlflow_client.h"
#include "training/design.h"
#include "training/model.h"

namespace voltedge::serving {

struct HorizonModel {
    int hours;
    std::unique_ptr<training::Model> model;
    nlohmann::json global_importance;  // {feature: mean |contribution|} from training
};

struct ModelBundle {
    std::string tenant, name, version, family, feature_set_version, source_commit;
    bool with_weather = false;
    std::vector<training::FeatureSpec> features;  // input columns, in order
    std::vector<HorizonModel> horizons;            // increasing hours

    int max_horizon() const { return horizons.back().hours; }
    // The direct model for a forecast `lead` hours past the last data: the smallest horizon >= lead.
    const HorizonModel* for_lead(int lead) const;
    const HorizonModel* for_hours(int hours) const;  // exactly that horizon, or null
};

// Downloads and loads the version `version` of the tenant's forecaster. Throws Error naming what is missing
// or malformed.
std::shared_ptr<const ModelBundle> load_bundle(registry::MlflowClient& mlflow, const std::string& tenant,
                                               const registry::ModelVersion& version);

}  // namespace voltedge::serving
