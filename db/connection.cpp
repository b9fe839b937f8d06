#include "db/connection.h"

#include "core/error.h"

namespace voltedge::db {
namespace {

// The URL without its password, for messages.
std::string redact(const std::string& url) {
    const auto at = url.find('@');
    const auto scheme = url.find("://");
    if (at == std::string::npos || scheme == std::string::npos) return url;
    const auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;
    return url.substr(0, colon) + ":***" + url.substr(at);
}

}  // namespace

[[noreturn]] void unreachable(const std::string& url, const pqxx::broken_connection& e) {
    throw Error("cannot connect to PostgreSQL at " + redact(url) + ": " + e.what(),
                "start the local stack with 'make up', or set DATABASE_URL / DATABASE_ADMIN_URL");
}

pqxx::connection connect(const std::string& url) {
    try {
        return pqxx::connection(url);
    } catch (const pqxx::broken_connection& e) {
        unreachable(url, e);
    }
}

std::unique_ptr<pqxx::connection> connect_shared(const std::string& url) {
    try {
        return std::make_unique<pqxx::connection>(url);
    } catch (const pqxx::broken_connection& e) {
        unreachable(url, e);
    }
}

void set_tenant(pqxx::transaction_base& tx, const std::string& tenant_id) {
    tx.exec_params("SELECT set_config('app.tenant_id', $1, true)", tenant_id);
}

void enter_tenant(pqxx::transaction_base& tx, const std::string& tenant_id) {
    set_tenant(tx, tenant_id);
    if (tx.exec_params("SELECT 1 FROM tenants WHERE tenant_id = $1", tenant_id).empty())
        throw Error("unknown tenant '" + tenant_id + "'", "create it with 'voltedge tenant create " + tenant_id + "'");
}

void exec_as_tenant(pqxx::connection& conn, const std::string& tenant_id, const std::string& sql) {
    pqxx::nontransaction tx(conn);
    try {
        tx.exec("BEGIN; SELECT set_config('app.tenant_id', " + tx.quote(tenant_id) + ", true); " + sql + "; COMMIT");
    } catch (...) {
        // The server skipped the rest of the batch but the transaction block is open (aborted): close it.
        try {
            tx.exec("ROLLBACK");
        } catch (...) {
        }
        throw;
    }
}

void notify_data_changed(pqxx::transaction_base& tx, const std::string& tenant_id) {
    tx.exec_params("SELECT pg_notify($1, $2)", kDataChannel, tenant_id);
}

}  // namespace voltedge::db
