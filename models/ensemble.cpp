// The ensemble family: the plain mean of member models of other families (e.g. xgboost and mlp). Its
// explanation is the mean of the members' explanations, so it sums to the ensemble's prediction exactly
// whenever each member's sums to its own (every family's does). It saves to one JSON file that embeds each
// member's own saved file.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "core/error.h"
#include "models/families.h"
#include "models/model_io.h"

namespace voltedge::models {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// A member's file goes through a scratch file: the families save to and load from paths.
fs::path scratch_file() {
    static std::atomic<int> counter{0};
    return fs::temp_directory_path() / fmt::format("voltedge-ensemble-{}-{}.json", getpid(), counter++);
}

class EnsembleModel : public Model {
public:
    explicit EnsembleModel(std::vector<std::unique_ptr<Model>> members) : members_(std::move(members)) {}
    std::string family() const override { return "ensemble"; }

    void fit(const Matrix& X, const Vector& y) override {
        for (auto& m : members_) m->fit(X, y);
    }

    Vector predict(const Matrix& X) const override {
        Vector sum = Vector::Zero(X.rows());
        for (const auto& m : members_) sum += m->predict(X);
        return sum / static_cast<double>(members_.size());
    }

    std::vector<Explanation> explain(const Matrix& X) const override {
        std::vector<Explanation> out(X.rows(), Explanation{0, std::vector<double>(X.cols(), 0.0)});
        const double w = 1.0 / static_cast<double>(members_.size());
        for (const auto& m : members_) {
            const auto e = m->explain(X);
            for (Eigen::Index r = 0; r < X.rows(); ++r) {
                out[r].base += w * e[r].base;
                for (Eigen::Index j = 0; j < X.cols(); ++j) out[r].contributions[j] += w * e[r].contributions[j];
            }
        }
        return out;
    }

    void save(const std::string& path) const override {
        Json members = Json::array();
        for (const auto& m : members_) {
            const fs::path file = scratch_file();
            m->save(file.string());
            members.push_back({{"family", m->family()}, {"model", Json::parse(read_file(file.string()))}});
            fs::remove(file);
        }
        write_file(path, Json{{"family", "ensemble"}, {"members", members}}.dump());
    }

    std::vector<std::pair<std::string, std::string>> params() const override {
        std::string names;
        for (const auto& m : members_) names += (names.empty() ? "" : ",") + m->family();
        std::vector<std::pair<std::string, std::string>> out = {{"members", names}, {"combination", "mean"}};
        for (const auto& m : members_)
            for (const auto& [k, v] : m->params()) out.emplace_back(m->family() + "." + k, v);
        return out;
    }

    const std::vector<std::unique_ptr<Model>>& members() const { return members_; }

private:
    std::vector<std::unique_ptr<Model>> members_;
};

}  // namespace

// params: {"members": ["xgboost", "mlp"], "member_params": {"xgboost": {...}}}; at least two members, each a
// regression family other than the ensemble.
std::unique_ptr<Model> make_ensemble(std::uint64_t seed, const Json& params) {
    if (!params.is_object() || !params.contains("members") || !params["members"].is_array() || params["members"].size() < 2)
        throw Error("the ensemble needs \"members\": a list of at least two regression families (got " + params.dump() + ")",
                    "e.g. \"params\": {\"ensemble\": {\"members\": 2}} in the training config takes the two best");
    std::vector<std::unique_ptr<Model>> members;
    for (const auto& name : params["members"]) {
        const std::string family = name.is_string() ? name.get<std::string>() : name.dump();
        if (family == "ensemble" || !is_regressor(family))
            throw Error("ensemble member '" + family + "' is not a regression family", "use some of: " + family_names());
        members.push_back(make_model(family, seed, params.value("member_params", Json::object()).value(family, Json())));
    }
    return std::make_unique<EnsembleModel>(std::move(members));
}

std::unique_ptr<Model> load_ensemble(const std::string&, const Json& j) {
    std::vector<std::unique_ptr<Model>> members;
    for (const auto& m : j.at("members")) {
        const fs::path file = scratch_file();
        write_file(file.string(), m.at("model").dump());
        try {
            members.push_back(load_model(file.string()));
        } catch (...) {
            fs::remove(file);
            throw;
        }
        fs::remove(file);
    }
    if (members.size() < 2) throw Error("an ensemble model file needs at least two members");
    return std::make_unique<EnsembleModel>(std::move(members));
}

std::unique_ptr<Model> ensemble_of(std::vector<std::unique_ptr<Model>> members) {
    return std::make_unique<EnsembleModel>(std::move(members));
}

}  // namespace voltedge::models
