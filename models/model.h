#pragma once
// The model families behind one small interface. Every family is deterministic for a given seed, saves
// to one file and loads back to identical predictions, and explains a prediction as a base value plus one
// contribution per input that sum to it. A family's fit lives beside its predict (one class, one file
// format); the training driver (backtests, MLflow runs) is in training/, which serving does not link.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "models/matrix.h"

namespace voltedge::models {

struct Explanation {
    double base = 0;                    // the model's expected output (its value at the reference input)
    std::vector<double> contributions;  // one per input; base + sum == prediction
};

class Model {
public:
    virtual ~Model() = default;
    virtual std::string family() const = 0;
    // Regressors fit y; classifiers fit labels 0/1 and predict probabilities.
    virtual void fit(const Matrix& X, const Vector& y) = 0;
    virtual Vector predict(const Matrix& X) const = 0;
    // How each family explains is in its registry entry (models/families.h).
    virtual std::vector<Explanation> explain(const Matrix& X) const = 0;
    virtual void save(const std::string& path) const = 0;
    // Hyperparameters, for the experiment tracker.
    virtual std::vector<std::pair<std::string, std::string>> params() const = 0;
};

// Per-column mean and standard deviation (1 where a column is constant), for the models that scale inputs.
struct Scaler {
    Eigen::RowVectorXd mean, scale;
    static Scaler fit(const Matrix& X);
    Matrix apply(const Matrix& X) const;
};

}  // namespace voltedge::models
