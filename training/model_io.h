#pragma once
// Helpers shared by the families that save themselves as JSON.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "training/model.h"

namespace voltedge::training {

nlohmann::json to_json(const Eigen::MatrixXd& m);
Eigen::MatrixXd matrix_from_json(const nlohmann::json& j);
nlohmann::json to_json(const Scaler& s);
Scaler scaler_from_json(const nlohmann::json& j);
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

// Factories of the individual families (model.cpp dispatches to them).
std::unique_ptr<Model> make_linear();
std::unique_ptr<Model> make_logistic();
std::unique_ptr<Model> make_mlp(std::uint64_t seed);
std::unique_ptr<Model> make_tree_model(const std::string& family, std::uint64_t seed);  // random_forest | xgboost
std::unique_ptr<Model> load_linear(const nlohmann::json& j);
std::unique_ptr<Model> load_logistic(const nlohmann::json& j);
std::unique_ptr<Model> load_mlp(const nlohmann::json& j);
std::unique_ptr<Model> load_tree_model(const std::string& path);

}  // namespace voltedge::training
