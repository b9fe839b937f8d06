#pragma once
// Helpers shared by the families that save themselves as JSON, and the families' own factories (the
// registry in families.cpp lists them).
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "models/model.h"

namespace voltedge::models {

nlohmann::json to_json(const Eigen::MatrixXd& m);
Eigen::MatrixXd matrix_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Scaler& s);
Scaler scaler_from_json(const nlohmann::json& j);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

// `params` overrides a family's hyperparameters ({} or null: its defaults); unknown keys are errors.
std::unique_ptr<Model> make_linear(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> make_logistic(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> make_mlp(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> make_random_forest(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> make_xgboost(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> make_ensemble(std::uint64_t seed, const nlohmann::json& params);
std::unique_ptr<Model> load_ensemble(const std::string& path, const nlohmann::json& j);
// Throws Error when `params` sets anything: for the families without settable hyperparameters.
void expect_no_params(const char* family, const nlohmann::json& params);
std::unique_ptr<Model> load_linear(const std::string& path, const nlohmann::json& j);
std::unique_ptr<Model> load_logistic(const std::string& path, const nlohmann::json& j);
std::unique_ptr<Model> load_mlp(const std::string& path, const nlohmann::json& j);
std::unique_ptr<Model> load_tree_model(const std::string& path, const nlohmann::json& j);  // both tree families

}  // namespace voltedge::models
