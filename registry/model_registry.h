#pragma once
// The forecaster in MLflow's model registry. Tenants are kept apart by name: each tenant's champion is
// registered under "voltedge-forecaster.<tenant>" (tagged tenant=<tenant>), so its aliases `staging` and
// `production` belong to that tenant alone; a tag on one shared model could not give each tenant its own
// aliases.
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "registry/mlflow_client.h"

namespace voltedge::registry {

std::string model_name(const std::string& tenant);
// Tenants that have a registered forecaster (any alias).
std::vector<std::string> tenants_with_models(MlflowClient& mlflow);

// Registers the model directory `model` of `run` as a new version with alias `staging`. If any step
// fails, the version is deleted again: nothing half-registered.
ModelVersion register_champion(MlflowClient& mlflow, const RunHandle& run, const std::string& tenant,
                               const std::string& family, const std::string& commit);

// Points `production` at an existing version (a number, or an alias such as "staging") and appends an audit row (who, when, version, commit) in the
// tenant's audit_log, as the application role. Throws Error for an unknown tenant or version.
ModelVersion promote(MlflowClient& mlflow, pqxx::connection& app_conn, const std::string& tenant,
                     const std::string& version, const std::string& actor);

}  // namespace voltedge::registry
