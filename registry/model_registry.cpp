#include "registry/model_registry.h"

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"

namespace voltedge::registry {

namespace {
constexpr std::string_view kModelPrefix = "voltedge-forecaster.";
}

std::string model_name(const std::string& tenant) { return std::string(kModelPrefix) + tenant; }

std::vector<std::string> tenants_with_models(MlflowClient& mlflow) {
    std::vector<std::string> tenants;
    for (const auto& name : mlflow.search_registered_models(std::string(kModelPrefix)))
        tenants.push_back(name.substr(kModelPrefix.size()));
    return tenants;
}

ModelVersion register_champion(MlflowClient& mlflow, const RunHandle& run, const std::string& tenant,
                               const std::string& family, const std::string& commit) {
    const std::string name = model_name(tenant);
    mlflow.ensure_registered_model(name, "Hourly load forecaster of tenant " + tenant + " (champion by 1 h MAE)",
                                   {{"tenant", tenant}});
    ModelVersion version = mlflow.create_model_version(
        name, run.artifact_uri + "/model", run.run_id, {{"tenant", tenant}, {"family", family}, {"source_commit", commit}});
    try {
        mlflow.set_alias(name, "staging", version.version);
    } catch (...) {
        try {
            mlflow.delete_model_version(name, version.version);
        } catch (...) {
        }
        throw;
    }
    return version;
}

ModelVersion promote(MlflowClient& mlflow, pqxx::connection& conn, const std::string& tenant, const std::string& version,
                     const std::string& actor) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const std::string name = model_name(tenant);
        const bool numeric = !version.empty() && version.find_first_not_of("0123456789") == std::string::npos;
        const auto found = numeric ? mlflow.get_model_version(name, version) : mlflow.get_version_by_alias(name, version);
        if (!found)
            throw Error("model " + name + " has no " + (numeric ? "version " : "alias ") + version,
                        "train one with 'voltedge train --tenant " + tenant + "' or pick an existing version in the MLflow UI");
        const nlohmann::json details = {{"model", name}, {"version", found->version}, {"alias", "production"},
                                        {"model_commit", found->tags.value("source_commit", "")},
                                        {"source_commit", source_commit()}};
        tx.exec_params("INSERT INTO audit_log (tenant_id, actor, action, details) VALUES ($1, $2, 'model.promote', $3::jsonb)",
                       tenant, actor, details.dump());
        mlflow.set_alias(name, "production", found->version);  // last: if it fails, the audit row rolls back
        log_info("model_promoted", {{"tenant_id", tenant}, {"model", name}, {"version", found->version}, {"actor", actor}});
        return *found;
    });
}

}  // namespace voltedge::registry
