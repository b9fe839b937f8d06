#include "security/audit.h"

namespace voltedge::security {

void audit(pqxx::transaction_base& tx, const std::string& tenant_id, const std::string& actor, const std::string& action,
           const nlohmann::json& details) {
    tx.exec_params("INSERT INTO audit_log (tenant_id, actor, action, details) VALUES ($1, $2, $3, $4::jsonb)", tenant_id, actor,
                   action, details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace voltedge::security
