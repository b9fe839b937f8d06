#pragma once
// The five model families behind one small interface. Every family is deterministic for a given seed,
// saves to one file and loads back to identical predictions, and explains a prediction as a base value
// plus one contribution per input that sum to it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "training/design.h"

namespace voltedge::training {

struct Explanation {
    double base = 0;                    // the model's expected output (its value at the reference input)
    std::vector<double> contributions;  // one per input; base + sum == prediction
};

class Model {
public:
    virtual ~Model() = default;
    virtual std::string family() const = 0;
    // Regressors fit y; the classifier ("logistic") fits labels 0/1 and predicts probabilities.
    virtual void fit(const Matrix& X, const Vector& y) = 0;
    virtual Vector predict(const Matrix& X) const = 0;
    // Methods: tree models exact TreeSHAP (XGBoost contributions); linear coefficient x centred value;
    // logistic the same on the log-odds scale; MLP sampled-permutation Shapley values (see mlp.cpp).
    virtual std::vector<Explanation> explain(const Matrix& X) const = 0;
    virtual void save(const std::string& path) const = 0;
    // Hyperparameters, for the MLflow run.
    virtual std::vector<std::pair<std::string, std::string>> params() const = 0;
};

// Families: "linear", "logistic", "random_forest", "xgboost", "mlp".
const std::vector<std::string>& model_families();
bool is_regressor(const std::string& family);
// Throws Error naming the known families when `family` is not one of them.
std::unique_ptr<Model> make_model(const std::string& family, std::uint64_t seed);
// Reads a file written by Model::save (the family is recorded in it).
std::unique_ptr<Model> load_model(const std::string& path);

// Per-column mean and standard deviation (1 where a column is constant), for the models that scale inputs.
struct Scaler {
    Eigen::RowVectorXd mean, scale;
    static Scaler fit(const Matrix& X);
    Matrix apply(const Matrix& X) const;
};

}  // namespace voltedge::training
