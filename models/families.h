#pragma once
// The model-family registry: one table says what each family is and how to make or load one. Adding a
// family means one file of its own plus one row in families.cpp; nothing else branches on family names.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "models/model.h"

namespace voltedge::models {

enum class Task { regression, classification };

struct Family {
    std::string_view name;
    Task task;
    bool accepts_missing;                 // predicts from rows with missing (NaN) inputs
    std::string_view explanation_method;  // as /explain reports it
    std::unique_ptr<Model> (*make)(std::uint64_t seed, const nlohmann::json& params);
    // From a file Model::save wrote, already parsed as JSON (every family saves JSON).
    std::unique_ptr<Model> (*load)(const std::string& path, const nlohmann::json& parsed);
};

const std::vector<Family>& families();
// null when `name` is not a family.
const Family* find_family(std::string_view name);
// Throws Error naming the known families when `name` is not one of them.
const Family& family(std::string_view name);
// The known family names, comma-separated, for messages.
std::string family_names();

inline bool is_regressor(std::string_view name) {
    const Family* f = find_family(name);
    return f && f->task == Task::regression;
}

// `params` overrides the family's default hyperparameters (null: none); unknown ones are errors.
std::unique_ptr<Model> make_model(std::string_view family_name, std::uint64_t seed, const nlohmann::json& params = nullptr);
// The mean of already fitted models (the ensemble family, models/ensemble.cpp).
std::unique_ptr<Model> ensemble_of(std::vector<std::unique_ptr<Model>> members);
// Reads a file written by Model::save (the family is recorded in it).
std::unique_ptr<Model> load_model(const std::string& path);

}  // namespace voltedge::models
