#include "models/families.h"

#include "core/error.h"
#include "models/model_io.h"

namespace voltedge::models {

// Tree models fit the log of the load unless configured with target "kw" (models/tree_models.cpp).
constexpr std::string_view kTreeMethod =
    "TreeSHAP (XGBoost pred_contribs), exact for a model of the load in kW; for one fitted on log(load + 0.05), the default, "
    "exact on that scale with every contribution multiplied by one common factor so that they sum to the forecast in kW";

const std::vector<Family>& families() {
    static const std::vector<Family> table = {
        {"linear", Task::regression, false, "coefficient x centred value (mean of the training inputs as reference)", make_linear,
         load_linear},
        {"logistic", Task::classification, false, "coefficient x centred value on the log-odds scale", make_logistic,
         load_logistic},
        {"random_forest", Task::regression, true, kTreeMethod, make_random_forest, load_tree_model},
        {"xgboost", Task::regression, true, kTreeMethod, make_xgboost, load_tree_model},
        {"mlp", Task::regression, false,
         "Shapley values by sampled permutations (32, fixed seed; sums exactly to the prediction)", make_mlp, load_mlp},
        {"ensemble", Task::regression, false, "mean of the members' explanations (each as its family explains)", make_ensemble,
         load_ensemble},
    };
    return table;
}

const Family* find_family(std::string_view name) {
    for (const auto& f : families())
        if (f.name == name) return &f;
    return nullptr;
}

std::string family_names() {
    std::string names;
    for (const auto& f : families()) names += (names.empty() ? "" : ", ") + std::string(f.name);
    return names;
}

const Family& family(std::string_view name) {
    if (const Family* f = find_family(name)) return *f;
    throw Error("unknown model family '" + std::string(name) + "'", "use some of: " + family_names());
}

std::unique_ptr<Model> make_model(std::string_view family_name, std::uint64_t seed, const nlohmann::json& params) {
    return family(family_name).make(seed, params);
}

std::unique_ptr<Model> load_model(const std::string& path) {
    const auto j = nlohmann::json::parse(read_file(path), nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw Error("model file " + path + " is not JSON");
    // XGBoost's own JSON format keeps the family in the booster's attributes; ours at the top level.
    std::string name = j.value("family", "");
    if (j.contains("learner"))
        name = j["learner"].value("attributes", nlohmann::json::object()).value("voltedge_family", "xgboost");
    const Family* f = find_family(name);
    if (!f) throw Error("model file " + path + " has unknown family '" + name + "'", "use some of: " + family_names());
    return f->load(path, j);
}

}  // namespace voltedge::models
