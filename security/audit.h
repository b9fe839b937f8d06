#pragma once
// The one writer of audit_log (append-only under row-level security): who did what to which tenant, in the
// caller's transaction, so the record commits or rolls back with the change it describes.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

namespace voltedge::security {

// `tx` must have the tenant set (db::with_tenant or an owner transaction scoped to the tenant).
void audit(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& actor, const std::string& action,
           const nlohmann::json& details = nlohmann::json::object());

}  // namespace voltedge::security
