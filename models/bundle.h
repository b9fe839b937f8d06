#pragma once
// A registered forecaster as the API serves it: the bundle `voltedge train` uploads (bundle.json plus one
// model file per bucket of leads), loaded into memory from wherever the registry keeps it. Immutable once loaded, so request
// threads share it freely; a reload builds a new bundle and swaps the pointer.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/families.h"
#include "models/feature_spec.h"
#include "models/intervals.h"
#include "models/model.h"

namespace voltedge::models {

// The model of a bucket of leads: it serves every lead after the previous model's `hours` up to its own.
struct HorizonModel {
    int hours;
    std::unique_ptr<Model> model;
    nlohmann::json global_importance;  // {feature: mean |contribution|} from training
};

struct ModelBundle {
    std::string tenant, name, version, family, feature_set_version, source_commit;
    const Family* family_info = nullptr;  // the registry entry of `family`
    InputLayout inputs;                   // which inputs the models take
    std::vector<FeatureSpec> features;    // input columns, in order
    std::vector<HorizonModel> horizons;   // increasing hours
    ConformalIntervals intervals;         // empty for versions trained without them

    int max_horizon() const { return horizons.back().hours; }
    // The model whose bucket holds `lead`: the smallest `hours` >= lead; null past the last.
    const HorizonModel* for_lead(int lead) const;
};

// Reads one file of the bundle by its path relative to the bundle (e.g. "bundle.json", "h24.json").
using BundleFetch = std::function<std::string(const std::string& path)>;

struct BundleId {
    std::string tenant, name, version;
};

// Loads version `id` of a tenant's forecaster through `fetch`. Throws Error naming what is missing or
// malformed.
std::shared_ptr<const ModelBundle> load_bundle(const BundleId& id, const BundleFetch& fetch);

}  // namespace voltedge::models
