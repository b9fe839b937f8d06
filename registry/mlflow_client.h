#pragma once
// A client for the MLflow tracking server's REST API (2.x): experiments, runs, metrics, artifacts served
// by the server (--serve-artifacts), registered models, versions and aliases. Errors become voltedge::Error
// naming the call and the server's message.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace voltedge::registry {

struct Metric {
    std::string key;
    double value;
    int step = 0;
};

struct RunHandle {
    std::string run_id, experiment_id, artifact_uri;  // artifact_uri: mlflow-artifacts:/<exp>/<run>/artifacts
};

struct ModelVersion {
    std::string name, version, source, run_id, status;
    nlohmann::json tags = nlohmann::json::object();
};

class MlflowClient {
public:
    explicit MlflowClient(std::string tracking_uri);

    std::string get_or_create_experiment(const std::string& name);
    RunHandle create_run(const std::string& experiment_id, const std::string& run_name,
                         const std::vector<std::pair<std::string, std::string>>& tags);
    // Params and tags as key/value pairs; metrics are sent in batches of at most 1000 (the server's limit).
    void log_batch(const std::string& run_id, const std::vector<Metric>& metrics,
                   const std::vector<std::pair<std::string, std::string>>& params,
                   const std::vector<std::pair<std::string, std::string>>& tags = {});
    void end_run(const std::string& run_id, const std::string& status);  // FINISHED | FAILED | KILLED
    std::string run_status(const std::string& run_id);

    // Artifacts live under the run's artifact_uri; `path` is relative to it ("model/bundle.json").
    void upload_artifact(const RunHandle& run, const std::string& path, const std::string& bytes);
    std::string download_artifact(const std::string& artifact_uri, const std::string& path);

    void ensure_registered_model(const std::string& name, const std::string& description,
                                 const std::vector<std::pair<std::string, std::string>>& tags);
    ModelVersion create_model_version(const std::string& name, const std::string& source, const std::string& run_id,
                                      const std::vector<std::pair<std::string, std::string>>& tags);
    void delete_model_version(const std::string& name, const std::string& version);
    std::optional<ModelVersion> get_model_version(const std::string& name, const std::string& version);
    // Names of the registered models whose name starts with name_prefix.
    std::vector<std::string> search_registered_models(const std::string& name_prefix);
    void set_alias(const std::string& name, const std::string& alias, const std::string& version);
    std::optional<ModelVersion> get_version_by_alias(const std::string& name, const std::string& alias);

    const std::string& tracking_uri() const { return base_; }

private:
    struct Response {
        long status;
        std::string body;
    };
    Response request(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& content_type = "application/json") const;
    nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body) const;
    std::string base_;
};

}  // namespace voltedge::registry
