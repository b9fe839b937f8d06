#include "serving/model_bundle.h"

#include <filesystem>
#include <fmt/format.h>

#include "core/error.h"
#include "training/model_io.h"

namespace voltedge::serving {
namespace fs = std::filesystem;
using Json = nlohmann::json;

const HorizonModel* ModelBundle::for_lead(int lead) const {
    for (const auto& h : horizons)
        if (h.hours >= lead) return &h;
    return nullptr;
}

const HorizonModel* ModelBundle::for_hours(int hours) const {
    for (const auto& h : horizons)
        if (h.hours == hours) return &h;
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

std::shared_ptr<const ModelBundle> load_bundle(registry::MlflowClient& mlflow, const std::string& tenant,
                                               const registry::ModelVersion& version) {
    const std::string what = fmt::format("model {} version {}", version.name, version.version);
    const Json manifest = Json::parse(mlflow.download_artifact(version.source, "bundle.json"), nullptr, false);
    if (manifest.is_discarded() || !manifest.contains("horizons") || !manifest.contains("features"))
        throw Error(what + " has no valid bundle.json", "register a model trained by 'voltedge train'");
    auto bundle = std::make_shared<ModelBundle>();
    bundle->tenant = tenant;
    bundle->name = version.name;
    bundle->version = version.version;
    bundle->family = manifest.value("family", "");
    bundle->feature_set_version = manifest.value("feature_set_version", "");
    bundle->source_commit = manifest.value("source_commit", "");
    bundle->with_weather = manifest.value("with_weather", false);
    for (const auto& f : manifest["features"]) bundle->features.push_back({f["name"], f["type"]});
    if (bundle->features.size() != training::model_features(bundle->with_weather).size())
        throw Error(what + " expects " + std::to_string(bundle->features.size()) + " inputs; this build makes " +
                        std::to_string(training::model_features(bundle->with_weather).size()),
                    "retrain with this version of voltedge");
    if (!training::is_regressor(bundle->family))
        throw Error(what + " is a " + bundle->family + " model, not a load forecaster", "promote a regression model");

    ScratchDir scratch;
    for (const auto& [hours, entry] : manifest["horizons"].items()) {
        const std::string file = entry["file"];
        const fs::path path = scratch.path / file;
        training::write_file(path.string(), mlflow.download_artifact(version.source, file));
        HorizonModel h{std::stoi(hours), training::load_model(path.string()), entry.value("global_importance", Json::object())};
        // Warm up on this thread before any request thread sees it (XGBoost configures lazily).
        training::Matrix probe = training::Matrix::Zero(1, static_cast<Eigen::Index>(bundle->features.size()));
        h.model->predict(probe);
        bundle->horizons.push_back(std::move(h));
    }
    if (bundle->horizons.empty()) throw Error(what + " has no horizon models");
    std::sort(bundle->horizons.begin(), bundle->horizons.end(), [](const auto& a, const auto& b) { return a.hours < b.hours; });
    return bundle;
}

}  // namespace voltedge::serving
