#include "serving/promotion.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"
#include "security/audit.h"

namespace voltedge::serving {

registry::ModelVersion move_alias(registry::ModelRegistry& registry, pqxx::connection& conn, const std::string& tenant,
                                  const std::string& alias, const std::string& version_or_alias, const std::string& actor,
                                  const std::string& source_commit) {
    return db::with_tenant(conn, tenant, [&](pqxx::transaction_base& tx) {
        const std::string name = registry.model_name(tenant);
        const auto found = registry::find_version(registry, tenant, version_or_alias);
        if (!found)
            throw Error("model " + name + " has no version or alias '" + version_or_alias + "'",
                        "train one with 'voltedge train --tenant " + tenant + "' or pick an existing version in the MLflow UI");
        const auto previous = registry.alias(tenant, alias);
        security::audit(tx, tenant, actor, "model." + std::string(alias == "production" ? "promote" : "alias"),
                        {{"model", name},
                         {"version", found->version},
                         {"alias", alias},
                         {"previous_version", previous ? previous->version : ""},
                         {"model_commit", found->tag("source_commit")},
                         {"source_commit", source_commit}});
        registry.set_alias(tenant, alias, found->version);  // last: if it fails, the audit row rolls back
        log_info("model_alias_moved",
                 {{"tenant_id", tenant}, {"model", name}, {"alias", alias}, {"version", found->version}, {"actor", actor}});
        return *found;
    });
}

}  // namespace voltedge::serving
