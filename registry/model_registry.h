#pragma once
// What training, serving (and later canary and evaluations) need of a model registry and an experiment
// tracker, as interfaces. The MLflow implementation (registry/mlflow.h) is the only code that knows MLflow's
// REST shapes and tag names.
//
// Tenants are kept apart by model name: each tenant's forecaster is its own registered model, so its aliases
// (`staging`, `production`, later `canary`, `previous`) belong to that tenant alone.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace voltedge::registry {

using Tags = std::vector<std::pair<std::string, std::string>>;

struct ModelVersion {
    std::string name, version, run_id, status;
    std::map<std::string, std::string> tags;
    std::vector<std::string> aliases;  // filled by ModelRegistry::versions(); the single-version lookups leave it empty
    std::string created;               // "YYYY-MM-DD HH:MM:SS UTC"
    std::string tag(const std::string& key) const {
        const auto it = tags.find(key);
        return it == tags.end() ? std::string() : it->second;
    }
};

struct Run {
    std::string run_id, experiment_id;
};

// A run as the tracker recorded it, for reports: the tags and params the caller logged (not the tracker's own).
struct RunRecord {
    Run run;
    std::string name, status, started;  // started: "YYYY-MM-DD HH:MM:SS UTC"
    bool champion = false;              // marked by ExperimentTracker::mark_champion
    std::map<std::string, std::string> tags, params;
    std::map<std::string, double> metrics;  // the value at the last step of each metric
    std::string tag(const std::string& key) const { return value_of(tags, key); }
    std::string param(const std::string& key) const { return value_of(params, key); }

private:
    static std::string value_of(const std::map<std::string, std::string>& m, const std::string& key) {
        const auto it = m.find(key);
        return it == m.end() ? std::string() : it->second;
    }
};

struct Metric {
    std::string key;
    double value;
    int step = 0;
};

class ModelRegistry {
public:
    virtual ~ModelRegistry() = default;
    // The registered-model name of the tenant's forecaster.
    virtual std::string model_name(const std::string& tenant) const = 0;
    // Tenants that have a registered forecaster.
    virtual std::vector<std::string> tenants() = 0;
    // A new version made of the folder `model_dir` of `run`'s artifacts, linked to the run.
    virtual ModelVersion create_version(const std::string& tenant, const Run& run, const std::string& model_dir,
                                        const Tags& tags) = 0;
    virtual void delete_version(const std::string& tenant, const std::string& version) = 0;
    // nullopt when the tenant has no such version or alias.
    virtual std::optional<ModelVersion> version(const std::string& tenant, const std::string& version) = 0;
    virtual std::optional<ModelVersion> alias(const std::string& tenant, const std::string& alias) = 0;
    virtual void set_alias(const std::string& tenant, const std::string& alias, const std::string& version) = 0;
    // Removes the alias; nothing happens when it is not set.
    virtual void delete_alias(const std::string& tenant, const std::string& alias) = 0;
    // One file of a version's model folder, e.g. "bundle.json".
    virtual std::string fetch(const ModelVersion& version, const std::string& path) = 0;
    // Every version of the tenant's forecaster, oldest first, each with the aliases pointing at it; empty when the
    // tenant has none. Reading only: nothing is created.
    virtual std::vector<ModelVersion> versions(const std::string& tenant) = 0;
};

class ExperimentTracker {
public:
    virtual ~ExperimentTracker() = default;
    // The experiment's id, created when missing.
    virtual std::string experiment(const std::string& name) = 0;
    // source: what produced the run (e.g. "voltedge train"), commit: the source commit of this binary.
    virtual Run start_run(const std::string& experiment_id, const std::string& run_name, const std::string& source,
                          const std::string& commit, const Tags& tags) = 0;
    // A run nested under `parent` (a tuning trial under its search), in the parent's experiment.
    virtual Run start_child_run(const Run& parent, const std::string& run_name, const std::string& source,
                                const std::string& commit, const Tags& tags) = 0;
    virtual void log(const Run& run, const std::vector<Metric>& metrics, const Tags& params, const Tags& tags = {}) = 0;
    virtual void upload(const Run& run, const std::string& path, const std::string& bytes) = 0;
    // The model folder `model_dir` of the run holds a model (so a tracker's UI can show and link it).
    virtual void record_model(const Run& run, const std::string& model_dir, const std::string& family) = 0;
    virtual void mark_champion(const Run& run) = 0;
    virtual void finish(const Run& run) = 0;
    // Ends the run as failed, with the reason recorded on it.
    virtual void fail(const Run& run, const std::string& reason) = 0;
    // Runs of the experiment still marked running.
    virtual std::vector<Run> unfinished_runs(const std::string& experiment_id) = 0;
    // "RUNNING", "FINISHED", "FAILED", ... (for operators and tests).
    virtual std::string run_status(const std::string& run_id) = 0;
    // The experiment's id, or nullopt when there is none (unlike experiment(), nothing is created).
    virtual std::optional<std::string> find_experiment(const std::string& name) = 0;
    // One run's record (its params, tags and latest metrics); throws Error for an unknown run.
    virtual RunRecord run(const std::string& run_id) = 0;
    // The experiment's finished runs, newest first.
    virtual std::vector<RunRecord> finished_runs(const std::string& experiment_id) = 0;
    // One file `upload` stored for the run; nullopt when the run has no such file.
    virtual std::optional<std::string> download(const Run& run, const std::string& path) = 0;
};

// Resolves a version number or an alias ("staging") of the tenant's forecaster.
std::optional<ModelVersion> find_version(ModelRegistry& registry, const std::string& tenant, const std::string& version_or_alias);

// Registers the model folder "model" of `run` as a new version with alias `staging`. If any step fails,
// the version is deleted again: nothing half-registered.
ModelVersion register_champion(ModelRegistry& registry, const Run& run, const std::string& tenant, const std::string& family,
                               const std::string& commit);

}  // namespace voltedge::registry
