#pragma once
// Tenant administration (admin connection, acting as voltedge_owner under the tenant's own policy).
#include <string>

namespace voltedge::security {

// Throws Error unless `tenant_id` is 1-63 lowercase letters, digits, '_' or '-', starting with a letter or digit.
void check_tenant_id(const std::string& tenant_id);

// Creates the tenant; returns false if it already existed. Throws Error for an invalid id, and for the id of a
// deleted tenant (its row stays as a tombstone: an id is never given to a second tenant).
bool create_tenant(const std::string& admin_url, const std::string& tenant_id, const std::string& actor);

// Issues a new API key for an existing tenant and returns the secret (shown once, never stored).
std::string issue_api_key(const std::string& admin_url, const std::string& tenant_id, bool is_admin, const std::string& actor);

// Revokes one of the tenant's keys by its key id (the "ve_xxxxxxxx" prefix of the key). Returns false if the
// tenant has no such active key. The API stops accepting it within its key cache time.
bool revoke_api_key(const std::string& admin_url, const std::string& tenant_id, const std::string& key_id,
                    const std::string& actor);

// Issues a platform-operator key (no tenant: reloads any tenant's model, reads /metrics and /readyz in detail).
// Only the administrative login can: the application role cannot see or write operator keys.
std::string issue_operator_key(const std::string& admin_url, const std::string& actor);
bool revoke_operator_key(const std::string& admin_url, const std::string& key_id, const std::string& actor);

}  // namespace voltedge::security
