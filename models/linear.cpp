// Linear regression (ridge with a tiny penalty, so collinear lags stay solvable) on standardized inputs,
// and logistic regression fitted by Newton's method (IRLS) with an L2 penalty.
#include <cmath>

#include "core/error.h"
#include "models/model_io.h"

namespace voltedge::models {
namespace {

constexpr double kRidge = 1e-6;  // relative to n: keeps X'X invertible when lags are collinear
constexpr double kLogisticL2 = 1e-2;

// Both families score b + w . standardized(x); they differ in the link and the fit.
class AffineModel : public Model {
public:
    // base + contributions = the score b + w . z (the prediction for linear, the log-odds for logistic).
    std::vector<Explanation> explain(const Matrix& X) const override {
        const Matrix Z = scaler_.apply(X);
        std::vector<Explanation> out(X.rows());
        for (Eigen::Index r = 0; r < X.rows(); ++r) {
            out[r].base = intercept_;  // the score at the mean input
            for (Eigen::Index j = 0; j < X.cols(); ++j) out[r].contributions.push_back(weights_[j] * Z(r, j));
        }
        return out;
    }

    void save(const std::string& path) const override {
        write_file(path, nlohmann::json{{"family", family()},
                                        {"scaler", to_json(scaler_)},
                                        {"intercept", intercept_},
                                        {"weights", to_json(weights_)}}
                             .dump());
    }

    template <class M>
    static std::unique_ptr<Model> load(const nlohmann::json& j) {
        auto m = std::make_unique<M>();
        m->scaler_ = scaler_from_json(j.at("scaler"));
        m->intercept_ = j.at("intercept").get<double>();
        m->weights_ = matrix_from_json(j.at("weights"));
        return m;
    }

protected:
    Vector score(const Matrix& X) const { return (scaler_.apply(X) * weights_).array() + intercept_; }

    Scaler scaler_;
    double intercept_ = 0;
    Eigen::VectorXd weights_;
};

class LinearModel : public AffineModel {
public:
    std::string family() const override { return "linear"; }

    void fit(const Matrix& X, const Vector& y) override {
        scaler_ = Scaler::fit(X);
        const Matrix Z = scaler_.apply(X);
        intercept_ = y.mean();
        Eigen::MatrixXd gram = Z.transpose() * Z;
        gram.diagonal().array() += kRidge * static_cast<double>(X.rows());
        weights_ = gram.ldlt().solve(Z.transpose() * (y.array() - intercept_).matrix());
    }

    Vector predict(const Matrix& X) const override { return score(X); }
    std::vector<std::pair<std::string, std::string>> params() const override {
        return {{"ridge_per_row", std::to_string(kRidge)}, {"inputs", "standardized"}};
    }
};

Vector sigmoid(const Vector& z) { return (1.0 / (1.0 + (-z.array()).exp())).matrix(); }

// Peak-hour classifier: P(label = 1) = sigmoid(b + w . standardized(x)).
class LogisticModel : public AffineModel {
public:
    std::string family() const override { return "logistic"; }

    void fit(const Matrix& X, const Vector& y) override {
        scaler_ = Scaler::fit(X);
        const Eigen::Index n = X.rows(), d = X.cols();
        Matrix Z(n, d + 1);
        Z.col(0).setOnes();
        Z.rightCols(d) = scaler_.apply(X);
        Eigen::VectorXd beta = Eigen::VectorXd::Zero(d + 1);
        Eigen::MatrixXd penalty = Eigen::MatrixXd::Identity(d + 1, d + 1) * kLogisticL2 * static_cast<double>(n);
        penalty(0, 0) = 0;  // the intercept is not shrunk
        for (int iteration = 0; iteration < 50; ++iteration) {
            const Vector p = sigmoid(Z * beta);
            const Vector w = (p.array() * (1 - p.array())).max(1e-10).matrix();
            const Eigen::VectorXd gradient = Z.transpose() * (p - y) + penalty * beta;
            const Eigen::MatrixXd hessian = Z.transpose() * w.asDiagonal() * Z + penalty;
            const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
            beta -= step;
            if (step.lpNorm<Eigen::Infinity>() < 1e-9) break;
        }
        intercept_ = beta[0];
        weights_ = beta.tail(d);
    }

    Vector predict(const Matrix& X) const override { return sigmoid(score(X)); }
    std::vector<std::pair<std::string, std::string>> params() const override {
        return {{"l2_per_row", std::to_string(kLogisticL2)}, {"solver", "newton-irls"}, {"inputs", "standardized"}};
    }
};

}  // namespace

// Both fits are deterministic: the seed is not needed.
std::unique_ptr<Model> make_linear(std::uint64_t, const nlohmann::json& params) {
    expect_no_params("linear", params);
    return std::make_unique<LinearModel>();
}
std::unique_ptr<Model> make_logistic(std::uint64_t, const nlohmann::json& params) {
    expect_no_params("logistic", params);
    return std::make_unique<LogisticModel>();
}
std::unique_ptr<Model> load_linear(const std::string&, const nlohmann::json& j) { return AffineModel::load<LinearModel>(j); }
std::unique_ptr<Model> load_logistic(const std::string&, const nlohmann::json& j) { return AffineModel::load<LogisticModel>(j); }

}  // namespace voltedge::models
