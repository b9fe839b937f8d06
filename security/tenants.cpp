#include "security/tenants.h"

#include <regex>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "db/connection.h"
#include "security/api_keys.h"
#include "security/audit.h"

namespace voltedge::security {
void check_tenant_id(const std::string& tenant_id) {
    static const std::regex kValid("^[a-z0-9][a-z0-9_-]{0,62}$");
    if (!std::regex_match(tenant_id, kValid))
        throw Error("invalid tenant id '" + tenant_id + "'",
                    "use 1-63 characters: lowercase letters, digits, '_' or '-', starting with a letter or digit");
}

namespace {

// An owner transaction scoped to one tenant: FORCE'd row-level security applies to the owner as well.
void act_as_owner(pqxx::work& tx, const std::string& tenant_id) {
    tx.exec("SET LOCAL ROLE voltedge_owner");
    db::set_tenant(tx, tenant_id);
}

// Runs fn(tx) as the owner inside an existing tenant, committing when fn returns true.
template <class Fn>
bool in_existing_tenant(const std::string& admin_url, const std::string& tenant_id, Fn&& fn) {
    check_tenant_id(tenant_id);
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, tenant_id);
    db::enter_tenant(tx, tenant_id);
    if (!fn(tx)) return false;
    tx.commit();
    return true;
}

}  // namespace

bool create_tenant(const std::string& admin_url, const std::string& tenant_id, const std::string& actor) {
    check_tenant_id(tenant_id);
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, tenant_id);
    const bool created =
        tx.exec_params("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING 1", tenant_id).size() == 1;
    if (!created && !tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1 AND deleting_at IS NOT NULL", tenant_id).empty())
        throw Error("tenant id '" + tenant_id + "' belonged to a tenant that was deleted; ids are never reused",
                    "choose another id (the old tenant's audit log is kept under this one)");
    if (created) audit(tx, tenant_id, actor, "tenant.create", nlohmann::json::object());
    tx.commit();
    return created;
}

std::string issue_api_key(const std::string& admin_url, const std::string& tenant_id, bool is_admin, const std::string& actor) {
    const NewApiKey key = generate_api_key();
    in_existing_tenant(admin_url, tenant_id, [&](pqxx::work& tx) {
        tx.exec_params("INSERT INTO api_keys (key_id, tenant_id, key_hash, is_admin) VALUES ($1, $2, $3, $4)", key.key_id,
                       tenant_id, key.hash, is_admin);
        audit(tx, tenant_id, actor, "api_key.create", {{"key_id", key.key_id}, {"is_admin", is_admin}});
        return true;
    });
    return key.secret;
}

bool revoke_api_key(const std::string& admin_url, const std::string& tenant_id, const std::string& key_id,
                    const std::string& actor) {
    return in_existing_tenant(admin_url, tenant_id, [&](pqxx::work& tx) {
        const auto r = tx.exec_params("UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", key_id);
        if (r.affected_rows() == 0) return false;
        audit(tx, tenant_id, actor, "api_key.revoke", {{"key_id", key_id}});
        return true;
    });
}

namespace {

// Operator keys belong to no tenant; their audit rows go under a name no tenant can have (tenant ids start
// with a letter or digit).
constexpr const char* kPlatform = "_platform";

}  // namespace

std::string issue_operator_key(const std::string& admin_url, const std::string& actor) {
    const NewApiKey key = generate_api_key();
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, kPlatform);
    tx.exec_params("INSERT INTO operator_keys (key_id, key_hash, created_by) VALUES ($1, $2, $3)", key.key_id, key.hash, actor);
    audit(tx, kPlatform, actor, "operator_key.create", {{"key_id", key.key_id}});
    tx.commit();
    return key.secret;
}

bool revoke_operator_key(const std::string& admin_url, const std::string& key_id, const std::string& actor) {
    auto conn = db::connect(admin_url);
    pqxx::work tx(conn);
    act_as_owner(tx, kPlatform);
    const auto r = tx.exec_params("UPDATE operator_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL", key_id);
    if (r.affected_rows() == 0) return false;
    audit(tx, kPlatform, actor, "operator_key.revoke", {{"key_id", key_id}});
    tx.commit();
    return true;
}

}  // namespace voltedge::security
