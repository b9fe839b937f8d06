#include "models/model_io.h"

#include <fstream>
#include <sstream>

#include "core/error.h"

namespace voltedge::models {

Scaler Scaler::fit(const Matrix& X) {
    Scaler s;
    s.mean = X.colwise().mean();
    s.scale = ((X.rowwise() - s.mean).array().square().colwise().sum() / std::max<Eigen::Index>(1, X.rows() - 1)).sqrt();
    for (Eigen::Index j = 0; j < s.scale.size(); ++j)
        if (!(s.scale[j] > 1e-12)) s.scale[j] = 1;
    return s;
}

Matrix Scaler::apply(const Matrix& X) const { return ((X.rowwise() - mean).array().rowwise() / scale.array()).matrix(); }

nlohmann::json to_json(const Eigen::MatrixXd& m) {
    nlohmann::json j = {{"rows", m.rows()}, {"cols", m.cols()}, {"data", nlohmann::json::array()}};
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c) j["data"].push_back(m(r, c));
    return j;
}

Eigen::MatrixXd matrix_from_json(const nlohmann::json& j) {
    Eigen::MatrixXd m(j.at("rows").get<Eigen::Index>(), j.at("cols").get<Eigen::Index>());
    const auto& data = j.at("data");
    for (Eigen::Index r = 0, i = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c) m(r, c) = data.at(i++).get<double>();
    return m;
}

nlohmann::json to_json(const Scaler& s) { return {{"mean", to_json(s.mean)}, {"scale", to_json(s.scale)}}; }

Scaler scaler_from_json(const nlohmann::json& j) { return {matrix_from_json(j.at("mean")), matrix_from_json(j.at("scale"))}; }

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out) throw Error("cannot write " + path);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void expect_no_params(const char* family, const nlohmann::json& params) {
    if (!params.is_null() && !params.empty())
        throw Error(std::string(family) + " has no settable hyperparameters (got " + params.dump() + ")",
                    "drop its entry from \"params\"; xgboost and random_forest take some");
}

}  // namespace voltedge::models
