#pragma once
// Governance commands: `voltedge audit verify` and tenant offboarding (`voltedge tenant export|delete`). The
// database steps are security/'s (audit.h, offboarding.h); deletion adds the model registry (MLflow) and the
// prediction cache (Redis), which only the command line may reach together.
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/config.h"

namespace voltedge::cli {

// Prints rows checked per tenant, or each broken chain's first broken row; 1 when any chain is broken.
int run_audit_verify(const Config& config, const std::optional<std::string>& tenant, std::ostream& out);

struct TenantDeletion {
    bool already_deleted = false;                          // a rerun: the tenant was deleted before this call
    std::vector<std::string> revoked_keys;                 // revoked by this call
    std::map<std::string, long> rows;                      // rows deleted per table by this call
    bool mlflow_model = false, mlflow_experiment = false;  // deleted by this call
    long long cache_keys = 0;                              // Redis keys deleted by this call
};

// Deletes the tenant: marks it (no new work), revokes its keys, deletes its rows in every tenant table but the
// audit log, its MLflow registered model and experiment and its cached predictions, then records tenant.deleted.
// Each step is idempotent, so a rerun after a crash finishes the job and a rerun after success does nothing.
// `confirm` must repeat the tenant id (Error otherwise, before anything is touched).
TenantDeletion delete_tenant(const Config& config, const std::string& tenant, const std::string& confirm);
void print_deletion(const std::string& tenant, const TenantDeletion& d, std::ostream& out);

}  // namespace voltedge::cli
