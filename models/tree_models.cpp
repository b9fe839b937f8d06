// Tree ensembles through XGBoost's C API: gradient boosting ("xgboost") and a random forest
// ("random_forest": XGBoost's forest mode, one round of bagged trees with per-node feature sampling and
// learning rate 1, i.e. Breiman's forest grown with XGBoost's histogram splitter). Explanations are
// TreeSHAP values from XGBoost's contribution prediction, exact on the scale the trees fit (below).
//
// Both fit the log of the load by default (target "log"): household load is skewed (short spikes far above a
// low base), squared error on kW chases the spikes, and the exponential of a log-scale forecast sits nearer the
// typical hour. On the demo data's default backtest (xgboost, 2026-12-04) that took the MAE from 0.2680 to
// 0.2588 kW at 1 h, 0.4189 to 0.4046 at 24 h, and the lead-weighted MAE from 0.3819 to 0.3695 (all four input
// groups; README, "Log target", has the other losses and targets tried). TreeSHAP is exact on the log scale;
// each contribution is then multiplied by one common factor so that base + contributions is the forecast in kW
// (see explain). Target "kw" fits the load itself, as versions trained before this did.
#include <xgboost/c_api.h>

#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "core/error.h"
#include "models/model_io.h"

namespace voltedge::models {
namespace {

void check(int rc, const char* what) {
    if (rc != 0) throw Error(fmt::format("XGBoost {} failed: {}", what, XGBGetLastError()));
}

struct DMatrix {
    DMatrixHandle handle = nullptr;
    explicit DMatrix(const Matrix& X) {
        const std::vector<float> values(X.data(), X.data() + X.size());  // XGBoost works in float32
        check(XGDMatrixCreateFromMat(values.data(), X.rows(), X.cols(), NAN, &handle), "DMatrix");
    }
    ~DMatrix() { XGDMatrixFree(handle); }
    DMatrix(const DMatrix&) = delete;
    DMatrix& operator=(const DMatrix&) = delete;
};

// Owns one booster: freed exactly once, moved but never copied. fit() trains into a new Booster and
// swaps it in only when every step succeeded, so a failure leaves the model as it was.
class Booster {
public:
    Booster() = default;
    static Booster create(DMatrixHandle* train, bst_ulong n) {
        Booster b;
        check(XGBoosterCreate(train, n, &b.handle_), "create booster");
        return b;
    }
    ~Booster() {
        if (handle_) XGBoosterFree(handle_);
    }
    Booster(Booster&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Booster& operator=(Booster&& other) noexcept {
        if (this != &other) {
            if (handle_) XGBoosterFree(handle_);
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }
    Booster(const Booster&) = delete;
    Booster& operator=(const Booster&) = delete;

    BoosterHandle get() const { return handle_; }
    explicit operator bool() const { return handle_ != nullptr; }

private:
    BoosterHandle handle_ = nullptr;
};

enum class Target { kw, log };

// The log target fits log(load + kLogOffsetKw): the offset keeps an hour of zero load finite.
constexpr double kLogOffsetKw = 0.05;

struct Params {
    int rounds;
    std::vector<std::pair<std::string, std::string>> values;  // XGBoost's own parameters
    Target target = Target::log;
};

std::string_view target_name(Target t) { return t == Target::log ? "log" : "kw"; }

Params defaults_for(const std::string& family, std::uint64_t seed) {
    const std::string s = std::to_string(seed);
    if (family == "random_forest")
        return {1,
                {{"booster", "gbtree"},
                 {"tree_method", "hist"},
                 {"num_parallel_tree", "60"},
                 {"learning_rate", "1"},
                 {"subsample", "0.632"},
                 {"colsample_bynode", "0.33"},
                 {"max_depth", "10"},
                 {"min_child_weight", "5"},
                 {"reg_lambda", "0"},
                 {"objective", "reg:squarederror"},
                 {"seed", s},
                 {"nthread", "2"}}};
    return {300,
            {{"booster", "gbtree"},
             {"tree_method", "hist"},
             {"learning_rate", "0.05"},
             {"max_depth", "6"},
             {"subsample", "0.8"},
             {"colsample_bytree", "0.8"},
             {"min_child_weight", "5"},
             {"reg_lambda", "1"},  // XGBoost's own default, listed so tuning can set it
             {"objective", "reg:squarederror"},
             {"seed", s},
             {"nthread", "2"}}};
}

// The defaults with `overrides` ({"max_depth": 8, "rounds": 500, ...}) applied; only the defaults' own keys
// (and rounds) can be set, except the ones that say what the family is or how it runs.
Params params_for(const std::string& family, std::uint64_t seed, const nlohmann::json& overrides) {
    Params p = defaults_for(family, seed);
    if (overrides.is_null()) return p;
    if (!overrides.is_object()) throw Error(family + " parameters must be a JSON object (got " + overrides.dump() + ")");
    for (const auto& [key, value] : overrides.items()) {
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (key == "target") {
            if (text != "log" && text != "kw")
                throw Error(family +
                            " parameter target must be \"log\" (fit the log of the load) or \"kw\" (fit the load) (got " + text +
                            ")");
            p.target = text == "log" ? Target::log : Target::kw;
            continue;
        }
        if (key == "rounds") {
            if (!value.is_number_integer() || value.get<int>() < 1 || value.get<int>() > 5000)
                throw Error(family + " parameter rounds must be an integer 1..5000 (got " + text + ")");
            p.rounds = value.get<int>();
            continue;
        }
        const auto it = std::find_if(p.values.begin(), p.values.end(), [&](const auto& kv) { return kv.first == key; });
        if (it == p.values.end() || key == "booster" || key == "objective" || key == "seed" || key == "nthread" ||
            key == "tree_method") {
            std::string known = "rounds, target";
            for (const auto& [k, v] : p.values)
                if (k != "booster" && k != "objective" && k != "seed" && k != "nthread" && k != "tree_method") known += ", " + k;
            throw Error("unknown " + family + " parameter '" + key + "'", "settable: " + known);
        }
        if (!value.is_number()) throw Error(family + " parameter " + key + " must be a number (got " + text + ")");
        it->second = text;
    }
    return p;
}

class TreeModel : public Model {
public:
    TreeModel(std::string family, std::uint64_t seed, nlohmann::json overrides = nullptr)
        : family_(std::move(family)), seed_(seed), overrides_(std::move(overrides)) {
        params_for(family_, seed_, overrides_);  // bad parameters fail here, before any fitting
    }
    std::string family() const override { return family_; }

    void fit(const Matrix& X, const Vector& y) override {
        const Params p = params_for(family_, seed_, overrides_);
        DMatrix d(X);
        std::vector<float> label(y.size());
        for (Eigen::Index i = 0; i < y.size(); ++i) {
            if (p.target == Target::log && !(y[i] > -kLogOffsetKw))
                throw Error(fmt::format("{} with target \"log\" cannot fit a load of {} kW (row {}): it fits log(load + {})",
                                        family_, y[i], i, kLogOffsetKw),
                            "set params." + family_ + ".target to \"kw\" in the training config for such data");
            label[static_cast<std::size_t>(i)] = static_cast<float>(p.target == Target::log ? std::log(y[i] + kLogOffsetKw)
                                                                                            : y[i]);
        }
        check(XGDMatrixSetFloatInfo(d.handle, "label", label.data(), label.size()), "set labels");
        Booster booster = Booster::create(&d.handle, 1);
        for (const auto& [k, v] : p.values) check(XGBoosterSetParam(booster.get(), k.c_str(), v.c_str()), "set parameter");
        for (int round = 0; round < p.rounds; ++round) check(XGBoosterUpdateOneIter(booster.get(), round, d.handle), "training");
        check(XGBoosterSetAttr(booster.get(), "voltedge_family", family_.c_str()), "set attribute");
        check(XGBoosterSetAttr(booster.get(), "voltedge_target", std::string(target_name(p.target)).c_str()), "set attribute");
        booster_ = std::move(booster);
        target_ = p.target;
    }

    // A forecast in kW from the booster's output (its margin).
    double from_margin(double margin) const { return target_ == Target::log ? std::exp(margin) - kLogOffsetKw : margin; }

    // In-place prediction straight from the row-major doubles: no DMatrix to build, which is most of the cost
    // of predicting a few rows (the API's case). XGBoost makes it thread-safe.
    Vector predict(const Matrix& X) const override {
        if (!booster_) throw Error("model used before it was trained or loaded");
        const std::string values = fmt::format(R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f8", "version": 3}})",
                                               reinterpret_cast<std::uintptr_t>(X.data()), X.rows(), X.cols());
        const char* config =
            R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false, "missing": NaN, "cache_id": 0})";
        const bst_ulong* shape = nullptr;
        bst_ulong dim = 0;
        const float* result = nullptr;
        check(XGBoosterPredictFromDense(booster_.get(), values.c_str(), config, nullptr, &shape, &dim, &result), "predict");
        Vector out(X.rows());
        for (Eigen::Index i = 0; i < X.rows(); ++i) out[i] = from_margin(result[i]);
        return out;
    }

    std::vector<Explanation> explain(const Matrix& X) const override {
        if (!booster_) throw Error("model used before it was trained or loaded");
        // Exact TreeSHAP (prediction type 2) needs a DMatrix: per row, d contributions then the bias. The
        // buffer belongs to the booster (per thread) and stays valid until its next prediction.
        DMatrix d(X);
        const char* config = R"({"type": 2, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
        const bst_ulong* shape = nullptr;
        bst_ulong dim = 0;
        const float* values = nullptr;
        check(XGBoosterPredictFromDMatrix(booster_.get(), d.handle, config, &shape, &dim, &values), "explain");
        const std::size_t width = shape[dim - 1];
        std::vector<Explanation> out(X.rows());
        for (Eigen::Index r = 0; r < X.rows(); ++r) {
            const float* row = values + r * width;
            out[r].contributions.assign(row, row + width - 1);
            out[r].base = row[width - 1];
            if (target_ == Target::log) to_kw(out[r]);
        }
        return out;
    }

    // TreeSHAP on the log scale gives base b and contributions phi with b + sum(phi) = log(forecast + offset).
    // In kW the base is exp(b) - offset, and the forecast exceeds it by exp(b) (exp(S) - 1), S = sum(phi). Each
    // phi is multiplied by the same factor exp(b) (exp(S) - 1) / S, so the kW contributions keep their signs and
    // proportions and sum exactly to the forecast (at S = 0 the factor is exp(b), its limit).
    static void to_kw(Explanation& e) {
        double sum = 0;
        for (double c : e.contributions) sum += c;
        const double scale = std::exp(e.base) * (std::abs(sum) < 1e-12 ? 1.0 : std::expm1(sum) / sum);
        for (double& c : e.contributions) c *= scale;
        e.base = std::exp(e.base) - kLogOffsetKw;
    }

    std::vector<std::pair<std::string, std::string>> params() const override {
        const Params p = params_for(family_, seed_, overrides_);
        auto out = p.values;
        out.emplace_back("rounds", std::to_string(p.rounds));
        out.emplace_back("target", std::string(target_name(p.target)));
        return out;
    }

    // XGBoost picks the format from the extension; load_model recognises its JSON format.
    void save(const std::string& path) const override {
        if (!path.ends_with(".json")) throw Error("tree models are saved as JSON: " + path + " must end in .json");
        check(XGBoosterSaveModel(booster_.get(), path.c_str()), "save");
    }

    static std::unique_ptr<Model> load(const std::string& path) {
        Booster booster = Booster::create(nullptr, 0);
        check(XGBoosterLoadModel(booster.get(), path.c_str()), "load");
        // A loaded model serves one request per thread; XGBoost's own threads would only contend with them.
        check(XGBoosterSetParam(booster.get(), "nthread", "1"), "set nthread");
        int found = 0;
        const char* family = nullptr;
        check(XGBoosterGetAttr(booster.get(), "voltedge_family", &family, &found), "get attribute");
        auto m = std::make_unique<TreeModel>(found ? family : "xgboost", 0);
        m->booster_ = std::move(booster);
        const char* target = nullptr;
        check(XGBoosterGetAttr(m->booster_.get(), "voltedge_target", &target, &found), "get attribute");
        m->target_ = found && std::string_view(target) == "log" ? Target::log : Target::kw;  // older versions fit kW
        return m;
    }

private:
    std::string family_;
    std::uint64_t seed_;
    nlohmann::json overrides_;
    Booster booster_;
    Target target_ = Target::kw;  // what the booster fitted (set by fit or load)
};

}  // namespace

std::unique_ptr<Model> make_random_forest(std::uint64_t seed, const nlohmann::json& params) {
    return std::make_unique<TreeModel>("random_forest", seed, params);
}
std::unique_ptr<Model> make_xgboost(std::uint64_t seed, const nlohmann::json& params) {
    return std::make_unique<TreeModel>("xgboost", seed, params);
}
std::unique_ptr<Model> load_tree_model(const std::string& path, const nlohmann::json&) { return TreeModel::load(path); }

}  // namespace voltedge::models
