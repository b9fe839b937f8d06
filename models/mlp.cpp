// A small multilayer perceptron in Eigen: standardized inputs, two ReLU hidden layers, linear output on
// the standardized target, trained with Adam on mini-batches. All randomness (initial weights, batch
// order) comes from one std::mt19937_64 with the given seed, drawn through our own conversions, so the
// same seed gives the same model on any platform.
//
// Explanations are Shapley values estimated by sampled permutations: for each of kPermutations fixed-seed
// feature orders, the inputs switch one by one from the reference (the training mean) to the row's value
// and each feature gets the change in output its switch caused. Every order's changes telescope to
// f(x) - f(reference), so the contributions sum to the prediction exactly, whatever the sample.
#include <algorithm>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "models/model_io.h"

namespace voltedge::models {
namespace {

constexpr int kHidden1 = 64, kHidden2 = 32;
constexpr int kEpochs = 30, kBatch = 256;
constexpr double kLearningRate = 1e-3, kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
constexpr int kPermutations = 32;

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::size_t below(std::mt19937_64& rng, std::size_t n) { return static_cast<std::size_t>(uniform01(rng) * n); }

void shuffle(std::vector<Eigen::Index>& v, std::mt19937_64& rng) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(rng, i)]);
}

struct Layer {
    Eigen::MatrixXd W;  // out x in
    Eigen::VectorXd b;
    Eigen::MatrixXd mW, vW;
    Eigen::VectorXd mb, vb;

    Layer(int in, int out, std::mt19937_64& rng) : W(out, in), b(Eigen::VectorXd::Zero(out)) {
        const double limit = std::sqrt(6.0 / in);  // He uniform, for ReLU
        for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = (2 * uniform01(rng) - 1) * limit;
        mW = vW = Eigen::MatrixXd::Zero(out, in);
        mb = vb = Eigen::VectorXd::Zero(out);
    }
    Layer() = default;

    void adam_step(const Eigen::MatrixXd& gW, const Eigen::VectorXd& gb, int t) {
        const double c1 = 1 - std::pow(kBeta1, t), c2 = 1 - std::pow(kBeta2, t);
        mW = kBeta1 * mW + (1 - kBeta1) * gW;
        vW = kBeta2 * vW + (1 - kBeta2) * gW.cwiseProduct(gW);
        mb = kBeta1 * mb + (1 - kBeta1) * gb;
        vb = kBeta2 * vb + (1 - kBeta2) * gb.cwiseProduct(gb);
        W.array() -= kLearningRate * (mW.array() / c1) / ((vW.array() / c2).sqrt() + kEpsilon);
        b.array() -= kLearningRate * (mb.array() / c1) / ((vb.array() / c2).sqrt() + kEpsilon);
    }
};

class MlpModel : public Model {
public:
    explicit MlpModel(std::uint64_t seed) : seed_(seed) {}
    std::string family() const override { return "mlp"; }

    void fit(const Matrix& X, const Vector& y) override {
        std::mt19937_64 rng(seed_);
        scaler_ = Scaler::fit(X);
        reference_ = scaler_.mean;
        y_mean_ = y.mean();
        y_scale_ = std::sqrt((y.array() - y_mean_).square().sum() / std::max<Eigen::Index>(1, y.size() - 1));
        if (!(y_scale_ > 1e-12)) y_scale_ = 1;
        const Eigen::MatrixXd Z = scaler_.apply(X).transpose();  // inputs as columns
        const Eigen::RowVectorXd target = ((y.array() - y_mean_) / y_scale_).matrix().transpose();
        layers_ = {Layer(static_cast<int>(X.cols()), kHidden1, rng), Layer(kHidden1, kHidden2, rng), Layer(kHidden2, 1, rng)};
        std::vector<Eigen::Index> order(X.rows());
        std::iota(order.begin(), order.end(), 0);
        int step = 0;
        for (int epoch = 0; epoch < kEpochs; ++epoch) {
            shuffle(order, rng);
            for (std::size_t begin = 0; begin < order.size(); begin += kBatch) {
                const std::size_t end = std::min(order.size(), begin + kBatch);
                const std::vector<Eigen::Index> batch(order.begin() + begin, order.begin() + end);
                train_batch(Z(Eigen::all, batch), target(Eigen::all, batch), ++step);
            }
        }
    }

    Vector predict(const Matrix& X) const override {
        return (forward(scaler_.apply(X).transpose()).transpose().array() * y_scale_ + y_mean_).matrix();
    }

    std::vector<Explanation> explain(const Matrix& X) const override {
        std::vector<Explanation> out;
        const Eigen::Index d = X.cols();
        for (Eigen::Index r = 0; r < X.rows(); ++r) {
            std::mt19937_64 rng(seed_ ^ 0x5eed);  // the same orders for every row: explanations are reproducible
            // Column k of each block is the input after switching the first k features of the order.
            Matrix paths(kPermutations * (d + 1), d);
            std::vector<std::vector<Eigen::Index>> orders(kPermutations);
            for (int p = 0; p < kPermutations; ++p) {
                orders[p].resize(d);
                std::iota(orders[p].begin(), orders[p].end(), 0);
                shuffle(orders[p], rng);
                Eigen::RowVectorXd current = reference_;
                paths.row(p * (d + 1)) = current;
                for (Eigen::Index k = 0; k < d; ++k) {
                    current[orders[p][k]] = X(r, orders[p][k]);
                    paths.row(p * (d + 1) + k + 1) = current;
                }
            }
            const Vector f = predict(paths);
            Explanation e{f[0], std::vector<double>(d, 0.0)};
            for (int p = 0; p < kPermutations; ++p)
                for (Eigen::Index k = 0; k < d; ++k)
                    e.contributions[orders[p][k]] += (f[p * (d + 1) + k + 1] - f[p * (d + 1) + k]) / kPermutations;
            out.push_back(std::move(e));
        }
        return out;
    }

    std::vector<std::pair<std::string, std::string>> params() const override {
        return {{"hidden_layers", fmt::format("{},{}", kHidden1, kHidden2)},
                {"activation", "relu"},
                {"epochs", std::to_string(kEpochs)},
                {"batch_size", std::to_string(kBatch)},
                {"learning_rate", fmt::format("{}", kLearningRate)},
                {"optimizer", "adam"},
                {"shap_permutations", std::to_string(kPermutations)},
                {"seed", std::to_string(seed_)}};
    }

    void save(const std::string& path) const override {
        nlohmann::json layers = nlohmann::json::array();
        for (const Layer& l : layers_) layers.push_back({{"W", to_json(l.W)}, {"b", to_json(l.b)}});
        write_file(path, nlohmann::json{{"family", family()},
                                        {"seed", seed_},
                                        {"scaler", to_json(scaler_)},
                                        {"y_mean", y_mean_},
                                        {"y_scale", y_scale_},
                                        {"layers", layers}}
                             .dump());
    }

    static std::unique_ptr<Model> load(const nlohmann::json& j) {
        auto m = std::make_unique<MlpModel>(j.at("seed").get<std::uint64_t>());
        m->scaler_ = scaler_from_json(j.at("scaler"));
        m->reference_ = m->scaler_.mean;
        m->y_mean_ = j.at("y_mean").get<double>();
        m->y_scale_ = j.at("y_scale").get<double>();
        for (const auto& l : j.at("layers")) {
            Layer layer;
            layer.W = matrix_from_json(l.at("W"));
            layer.b = matrix_from_json(l.at("b"));
            m->layers_.push_back(std::move(layer));
        }
        return m;
    }

private:
    // Standardized inputs as columns -> standardized outputs as a row.
    Eigen::MatrixXd forward(const Eigen::MatrixXd& Z) const {
        Eigen::MatrixXd a = Z;
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            a = (layers_[i].W * a).colwise() + layers_[i].b;
            if (i + 1 < layers_.size()) a = a.cwiseMax(0.0);
        }
        return a;
    }

    void train_batch(const Eigen::MatrixXd& Z, const Eigen::RowVectorXd& target, int step) {
        const double n = static_cast<double>(Z.cols());
        std::vector<Eigen::MatrixXd> activation = {Z};
        for (std::size_t i = 0; i < layers_.size(); ++i) {
            Eigen::MatrixXd a = (layers_[i].W * activation.back()).colwise() + layers_[i].b;
            if (i + 1 < layers_.size()) a = a.cwiseMax(0.0);
            activation.push_back(std::move(a));
        }
        Eigen::MatrixXd delta = (activation.back() - target) * (2.0 / n);  // d(mean squared error)/d(output)
        for (std::size_t i = layers_.size(); i-- > 0;) {
            const Eigen::MatrixXd gW = delta * activation[i].transpose();
            const Eigen::VectorXd gb = delta.rowwise().sum();
            if (i > 0)
                delta = (layers_[i].W.transpose() * delta).cwiseProduct((activation[i].array() > 0).cast<double>().matrix());
            layers_[i].adam_step(gW, gb, step);
        }
    }

    std::uint64_t seed_;
    Scaler scaler_;
    Eigen::RowVectorXd reference_;
    double y_mean_ = 0, y_scale_ = 1;
    std::vector<Layer> layers_;
};

}  // namespace

std::unique_ptr<Model> make_mlp(std::uint64_t seed, const nlohmann::json& params) {
    expect_no_params("mlp", params);
    return std::make_unique<MlpModel>(seed);
}
std::unique_ptr<Model> load_mlp(const std::string&, const nlohmann::json& j) { return MlpModel::load(j); }

}  // namespace voltedge::models
