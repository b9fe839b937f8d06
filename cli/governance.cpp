#include "cli/governance.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.h"
#include "db/connection.h"
#include "db/redis_client.h"
#include "registry/mlflow.h"
#include "security/audit.h"
#include "security/offboarding.h"
#include "security/tenants.h"
#include "serving/prediction_cache.h"
#include "training/train.h"

namespace voltedge::cli {

int run_audit_verify(const Config& config, const std::optional<std::string>& tenant, std::ostream& out) {
    if (tenant && *tenant != "_platform") security::check_tenant_id(*tenant);
    auto admin = db::connect(config.database_admin_url);
    const auto report = security::verify_audit_chain(admin, tenant);
    long rows = 0;
    for (const auto& t : report.tenants) {
        rows += t.rows;
        if (t.ok) {
            out << fmt::format("ok      {:<40} {} rows\n", t.tenant, t.rows);
        } else if (t.broken_id != 0) {
            out << fmt::format("BROKEN  {:<40} at row {} ({}) after {} rows checked: {}\n", t.tenant, t.broken_id,
                               t.broken_action, t.rows, t.problem);
        } else {
            out << fmt::format("BROKEN  {:<40} {}\n", t.tenant, t.problem);
        }
    }
    if (report.tenants.empty()) out << (tenant ? "tenant " + *tenant + " has no audit rows\n" : "no audit rows\n");
    const auto broken = std::count_if(report.tenants.begin(), report.tenants.end(), [](const auto& t) { return !t.ok; });
    out << fmt::format("{} tenant(s), {} rows checked, {} broken chain(s)\n", report.tenants.size(), rows, broken);
    return report.ok() ? 0 : 1;
}

TenantDeletion delete_tenant(const Config& config, const std::string& tenant, const std::string& confirm) {
    security::check_tenant_id(tenant);
    if (confirm != tenant)
        throw Error("--confirm '" + confirm + "' does not repeat the tenant id '" + tenant + "'; nothing was deleted",
                    "deleting a tenant cannot be undone: run 'voltedge tenant delete " + tenant + " --confirm " + tenant + "'");
    TenantDeletion d;
    // 1. No new work for the tenant from here on (keys revoked, db::enter_tenant refuses it).
    const auto start = security::begin_tenant_deletion(config.database_admin_url, tenant, config.actor);
    d.already_deleted = start.was == security::TenantState::deleted;
    d.revoked_keys = start.revoked_keys;
    // 2. Its rows, in one transaction. 3. Its registry entries. 4. Its cached predictions. Each finds nothing
    // left to do when a previous run got that far.
    d.rows = security::delete_tenant_rows(config.database_admin_url, tenant);
    registry::Mlflow mlflow(config.mlflow_tracking_uri);
    d.mlflow_model = mlflow.delete_registered_model(tenant);
    d.mlflow_experiment = mlflow.delete_experiment(training::experiment_name(tenant));
    db::RedisClient redis(config.redis_url, 1);
    d.cache_keys = redis.delete_by_prefix(serving::PredictionCache::tenant_key_prefix(tenant));
    // 5. Last, the record: tenant.deleted in its audit chain, the tenants row left as a tombstone.
    const nlohmann::json summary = {{"rows", d.rows},
                                    {"revoked_keys", d.revoked_keys},
                                    {"mlflow_model", d.mlflow_model ? mlflow.model_name(tenant) : ""},
                                    {"mlflow_experiment", d.mlflow_experiment ? training::experiment_name(tenant) : ""},
                                    {"cache_keys", d.cache_keys},
                                    {"kept", {"tenants (tombstone)", "audit_log", "audit_heads"}}};
    const bool removed_anything = !d.rows.empty() || d.mlflow_model || d.mlflow_experiment || d.cache_keys > 0;
    security::finish_tenant_deletion(config.database_admin_url, tenant, config.actor, summary, removed_anything);
    return d;
}

void print_deletion(const std::string& tenant, const TenantDeletion& d, std::ostream& out) {
    long rows = 0;
    for (const auto& [table, n] : d.rows) {
        out << fmt::format("  {:<22} {} rows deleted\n", table, n);
        rows += n;
    }
    if (!d.revoked_keys.empty()) out << fmt::format("  api keys revoked: {}\n", fmt::join(d.revoked_keys, ", "));
    if (d.mlflow_model) out << "  MLflow registered model deleted\n";
    if (d.mlflow_experiment)
        out << "  MLflow experiment deleted (MLflow keeps deleted experiments until 'mlflow gc' purges them)\n";
    if (d.cache_keys > 0) out << fmt::format("  {} cached predictions deleted from Redis\n", d.cache_keys);
    if (d.already_deleted)
        out << fmt::format("tenant {} was already deleted; {}\n", tenant,
                           rows == 0 && !d.mlflow_model && !d.mlflow_experiment && d.cache_keys == 0 ? "nothing was left"
                                                                                                     : "what was left is gone");
    else
        out << fmt::format("tenant {} deleted ({} rows); its audit log is kept, and its id cannot be used again\n", tenant, rows);
}

}  // namespace voltedge::cli
