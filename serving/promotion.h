#pragma once
// Moving a model alias (`production` today; `canary` and `previous` with the canary): the registry's alias
// and an audit row, together. The audit row is written first in a transaction that commits only after the
// registry accepted the move, so there is never a move without its record.
#include <pqxx/pqxx>
#include <string>

#include "registry/model_registry.h"

namespace voltedge::serving {

// Points the tenant's `alias` at `version_or_alias` (a version number, or another alias such as "staging").
// Moving `production` keeps the version it leaves as `previous` (what rollback returns to). Throws Error for an
// unknown tenant or version.
registry::ModelVersion move_alias(registry::ModelRegistry& registry, pqxx::connection& app_conn, const std::string& tenant,
                                  const std::string& alias, const std::string& version_or_alias, const std::string& actor,
                                  const std::string& source_commit);

// Removes the tenant's `alias` (the canary's, when it ends) with an audit row `action` naming `reason`.
void remove_alias(registry::ModelRegistry& registry, pqxx::connection& app_conn, const std::string& tenant,
                  const std::string& alias, const std::string& action, const std::string& actor, const std::string& reason);

// Points `production` back at `previous` (and `previous` at the version it leaves), with an audit row
// model.rollback naming `reason`. Throws Error when there is no previous production version.
registry::ModelVersion rollback(registry::ModelRegistry& registry, pqxx::connection& app_conn, const std::string& tenant,
                                const std::string& actor, const std::string& reason, const std::string& source_commit);

}  // namespace voltedge::serving
