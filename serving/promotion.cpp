#include "serving/promotion.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "security/audit.h"

namespace voltedge::serving {

using Json = nlohmann::json;

namespace {

registry::ModelVersion move(registry::ModelRegistry& registry, pqxx::connection& conn, const std::string& tenant,
                            const std::string& alias, const std::string& version_or_alias, const std::string& action,
                            const std::string& actor, const std::string& reason, const std::string& source_commit) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const std::string name = registry.model_name(tenant);
        const auto found = registry::find_version(registry, tenant, version_or_alias);
        if (!found)
            throw Error("model " + name + " has no version or alias '" + version_or_alias + "'",
                        "train one with 'voltedge train --tenant " + tenant + "' or pick an existing version in the MLflow UI");
        const auto previous = registry.alias(tenant, alias);
        Json detail = {{"model", name},
                       {"version", found->version},
                       {"alias", alias},
                       {"previous_version", previous ? previous->version : ""},
                       {"model_commit", found->tag("source_commit")},
                       {"source_commit", source_commit}};
        if (!reason.empty()) detail["reason"] = reason;
        security::audit(tx, tenant, actor, action, detail);
        // Registry calls last: if one fails, the audit row rolls back.
        if (alias == "production" && previous && previous->version != found->version)
            registry.set_alias(tenant, "previous", previous->version);
        registry.set_alias(tenant, alias, found->version);
        log_info("model_alias_moved", {{"tenant_id", tenant},
                                       {"model", name},
                                       {"alias", alias},
                                       {"version", found->version},
                                       {"previous_version", previous ? previous->version : ""},
                                       {"actor", actor}});
        return *found;
    });
}

}  // namespace

registry::ModelVersion move_alias(registry::ModelRegistry& registry, pqxx::connection& conn, const std::string& tenant,
                                  const std::string& alias, const std::string& version_or_alias, const std::string& actor,
                                  const std::string& source_commit) {
    return move(registry, conn, tenant, alias, version_or_alias, alias == "production" ? "model.promote" : "model.alias", actor,
                "", source_commit);
}

void remove_alias(registry::ModelRegistry& registry, pqxx::connection& conn, const std::string& tenant, const std::string& alias,
                  const std::string& action, const std::string& actor, const std::string& reason) {
    db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const auto was = registry.alias(tenant, alias);
        security::audit(
            tx, tenant, actor, action,
            {{"model", registry.model_name(tenant)}, {"alias", alias}, {"version", was ? was->version : ""}, {"reason", reason}});
        registry.delete_alias(tenant, alias);  // last: if it fails, the audit row rolls back
        log_info("model_alias_removed",
                 {{"tenant_id", tenant}, {"alias", alias}, {"version", was ? was->version : ""}, {"reason", reason}});
    });
}

registry::ModelVersion rollback(registry::ModelRegistry& registry, pqxx::connection& conn, const std::string& tenant,
                                const std::string& actor, const std::string& reason, const std::string& source_commit) {
    if (!registry.alias(tenant, "previous"))
        throw Error("tenant " + tenant + " has no previous production version to roll back to",
                    "production has only ever pointed at one version; promote another with voltedge promote");
    return move(registry, conn, tenant, "production", "previous", "model.rollback", actor, reason, source_commit);
}

}  // namespace voltedge::serving
