#include "models/bundle.h"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

#include "core/error.h"
#include "models/model_io.h"

namespace voltedge::models {
namespace fs = std::filesystem;
using Json = nlohmann::json;

const HorizonModel* ModelBundle::for_lead(int lead) const {
    for (const auto& h : horizons)
        if (h.hours >= lead) return &h;
    return nullptr;
}

namespace {

// A private scratch directory: model files are loaded from paths (XGBoost's loader takes a file name).
struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::string tmpl = (fs::temp_directory_path() / "voltedge-model-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw Error("cannot create a temporary directory for a model download");
        path = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

std::shared_ptr<const ModelBundle> load_bundle(const BundleId& id, const BundleFetch& fetch) {
    const std::string what = fmt::format("model {} version {}", id.name, id.version);
    const Json manifest = Json::parse(fetch("bundle.json"), nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("horizons") || !manifest.contains("features"))
        throw Error(what + " has no valid bundle.json", "register a model trained by 'voltedge train'");
    auto bundle = std::make_shared<ModelBundle>();
    bundle->tenant = id.tenant;
    bundle->name = id.name;
    bundle->version = id.version;
    bundle->family = manifest.value("family", "");
    bundle->feature_set_version = manifest.value("feature_set_version", "");
    bundle->source_commit = manifest.value("source_commit", "");
    bundle->inputs.with_weather = manifest.value("with_weather", false);
    bundle->inputs.groups = manifest.value("input_groups", std::vector<std::string>{});
    if (const auto& at = manifest.value("location", Json()); at.is_object())
        bundle->inputs.location = features::Location{at.value("latitude", 0.0), at.value("longitude", 0.0),
                                                     at.value("utc_offset_hours", 0.0)};
    check_input_groups(bundle->inputs.groups, bundle->inputs.location);
    for (const auto& f : manifest["features"]) bundle->features.push_back({f["name"], f["type"]});
    const auto expected = model_features(bundle->inputs);
    if (bundle->features.size() != expected.size() ||
        !std::equal(expected.begin(), expected.end(), bundle->features.begin(),
                    [](const FeatureSpec& a, const FeatureSpec& b) { return a.name == b.name; }))
        throw Error(what + " expects inputs this build does not make in that order (" + std::to_string(bundle->features.size()) +
                        " inputs; this build makes " + std::to_string(expected.size()) + ")",
                    "retrain with this version of voltedge");
    bundle->family_info = find_family(bundle->family);
    if (!bundle->family_info)
        throw Error(what + " has unknown family '" + bundle->family + "'", "retrain with this version of voltedge");
    if (bundle->family_info->task != Task::regression)
        throw Error(what + " is a " + bundle->family + " model, not a load forecaster", "promote a regression model");

    if (manifest.contains("intervals")) bundle->intervals = ConformalIntervals::from_json(manifest["intervals"]);
    ScratchDir scratch;
    for (const auto& [hours, entry] : manifest["horizons"].items()) {
        const std::string file = entry["file"];
        // A tampered manifest must not write outside the scratch folder: a plain file name only.
        if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file == "." ||
            file == "..")
            throw Error(what + " names a horizon file '" + file + "' that is not a plain file name",
                        "the bundle was not written by voltedge train: retrain, or check the registry for tampering");
        const fs::path path = scratch.path / file;
        write_file(path.string(), fetch(file));
        HorizonModel h{std::stoi(hours), load_model(path.string()), entry.value("global_importance", Json::object())};
        // Warm up on this thread before any request thread sees it (XGBoost configures lazily).
        Matrix probe = Matrix::Zero(1, static_cast<Eigen::Index>(bundle->features.size()));
        h.model->predict(probe);
        bundle->horizons.push_back(std::move(h));
    }
    if (bundle->horizons.empty()) throw Error(what + " has no horizon models");
    std::sort(bundle->horizons.begin(), bundle->horizons.end(), [](const auto& a, const auto& b) { return a.hours < b.hours; });
    return bundle;
}

}  // namespace voltedge::models
