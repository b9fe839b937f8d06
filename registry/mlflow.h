#pragma once
// The model registry and experiment tracker on an MLflow tracking server (REST API 2.x, artifacts served
// by the server with --serve-artifacts). Errors become voltedge::Error naming the call and the server's
// message; an unreachable server says how to start one.
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "registry/model_registry.h"

namespace voltedge::registry {

class Mlflow : public ModelRegistry, public ExperimentTracker {
public:
    explicit Mlflow(std::string tracking_uri);
    const std::string& tracking_uri() const { return base_; }

    // ModelRegistry
    std::string model_name(const std::string& tenant) const override;
    std::vector<std::string> tenants() override;
    ModelVersion create_version(const std::string& tenant, const Run& run, const std::string& model_dir,
                                const Tags& tags) override;
    void delete_version(const std::string& tenant, const std::string& version) override;
    std::optional<ModelVersion> version(const std::string& tenant, const std::string& version) override;
    std::optional<ModelVersion> alias(const std::string& tenant, const std::string& alias) override;
    void set_alias(const std::string& tenant, const std::string& alias, const std::string& version) override;
    void delete_alias(const std::string& tenant, const std::string& alias) override;
    std::string fetch(const ModelVersion& version, const std::string& path) override;
    std::vector<ModelVersion> versions(const std::string& tenant) override;

    // ExperimentTracker
    std::string experiment(const std::string& name) override;
    Run start_child_run(const Run& parent, const std::string& run_name, const std::string& source, const std::string& commit,
                        const Tags& tags) override;
    Run start_run(const std::string& experiment_id, const std::string& run_name, const std::string& source,
                  const std::string& commit, const Tags& tags) override;
    void log(const Run& run, const std::vector<Metric>& metrics, const Tags& params, const Tags& tags = {}) override;
    void upload(const Run& run, const std::string& path, const std::string& bytes) override;
    void record_model(const Run& run, const std::string& model_dir, const std::string& family) override;
    void mark_champion(const Run& run) override;
    void finish(const Run& run) override;
    void fail(const Run& run, const std::string& reason) override;
    std::vector<Run> unfinished_runs(const std::string& experiment_id) override;
    RunRecord run(const std::string& run_id) override;
    std::string run_status(const std::string& run_id) override;
    std::optional<std::string> find_experiment(const std::string& name) override;
    std::vector<RunRecord> finished_runs(const std::string& experiment_id) override;
    std::optional<std::string> download(const Run& run, const std::string& path) override;

    // Deletes the tenant's registered model, its versions and aliases with it; false when it has none.
    bool delete_registered_model(const std::string& tenant);
    // Deletes the experiment called `name`; false when there is no active one. MLflow keeps a deleted experiment
    // and its runs (lifecycle_stage "deleted", name still taken) until `mlflow gc` removes them for good.
    bool delete_experiment(const std::string& name);
    // Whether an experiment called `name` exists and is not deleted.
    bool experiment_active(const std::string& name);

    // Deletes experiments and registered models whose names start with `prefix` (test clean-up).
    void delete_by_prefix(const std::string& experiment_prefix, const std::string& model_prefix);

private:
    struct Response {
        long status;
        std::string body;
    };
    Response request(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& content_type = "application/json") const;
    nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body) const;
    std::optional<nlohmann::json> get_or_absent(const std::string& path) const;       // nullopt on 404/400
    std::optional<nlohmann::json> experiment_by_name(const std::string& name) const;  // its "experiment" object
    void end_run(const Run& run, const std::string& status);
    std::string artifact_uri(const std::string& run_id);  // cached: it never changes
    std::vector<std::string> registered_models(const std::string& name_prefix);

    std::string base_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> artifact_uris_;
};

}  // namespace voltedge::registry
