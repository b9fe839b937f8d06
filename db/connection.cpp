#include "db/connection.h"

#include <algorithm>
#include <thread>

#include "core/deadline.h"
#include "core/error.h"
#include "core/log.h"
#include "core/url.h"
#include "observability/metrics.h"

namespace voltedge::db {
namespace {

[[noreturn]] void unreachable(const std::string& url, const pqxx::broken_connection& e) {
    throw Error("cannot connect to PostgreSQL at " + redact_url(url) + ": " + e.what(),
                "start the local stack with 'make up', or set DATABASE_URL / DATABASE_ADMIN_URL");
}

}  // namespace

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

namespace {

// The thread's deadline as a statement timeout for the current transaction ("" when there is none).
std::string timeout_setting() {
    const auto left = time_left();
    if (!left) return {};
    check_deadline("before a database statement");
    return std::to_string(std::clamp<long long>(left->count(), 1, 2'000'000'000));  // Postgres takes an int
}

// One statement setting each of `settings` for the transaction alone (values quoted as literals).
std::string set_config_statement(pqxx::transaction_base& tx, const Settings& settings) {
    std::string sql;
    for (const auto& [name, value] : settings)
        sql += (sql.empty() ? "SELECT " : ", ") + ("set_config(" + tx.quote(name) + ", " + tx.quote(value) + ", true)");
    return sql;
}

// The tenant, the deadline as a statement timeout when the thread has one, then `extra`.
Settings tenant_settings(const std::string& tenant_id, const Settings& extra = {}) {
    Settings s = {{"app.tenant_id", tenant_id}};
    if (const std::string timeout = timeout_setting(); !timeout.empty()) s.emplace_back("statement_timeout", timeout);
    s.insert(s.end(), extra.begin(), extra.end());
    return s;
}

// Whether the tenant exists (visible under its own policy, so only once it is set) and is not being deleted.
std::string tenant_check(pqxx::transaction_base& tx, const std::string& tenant_id) {
    return "SELECT deleting_at IS NOT NULL FROM tenants WHERE tenant_id = " + tx.quote(tenant_id);
}

void check_tenant(const pqxx::result& row, const std::string& tenant_id) {
    if (row.empty())
        throw Error("unknown tenant '" + tenant_id + "'", "create it with 'voltedge tenant create " + tenant_id + "'");
    if (row[0][0].as<bool>())
        throw TenantClosed("tenant '" + tenant_id + "' is being deleted or was deleted: it accepts no new work",
                           "its id cannot be used again; create a tenant with another id");
}

}  // namespace

void set_tenant(pqxx::transaction_base& tx, const std::string& tenant_id) {
    tx.exec(set_config_statement(tx, tenant_settings(tenant_id)));
}

void set_local(pqxx::transaction_base& tx, const Settings& settings) {
    if (!settings.empty()) tx.exec(set_config_statement(tx, settings));
}

void bound_by_deadline(pqxx::transaction_base& tx) {
    if (const std::string timeout = timeout_setting(); !timeout.empty()) set_local(tx, {{"statement_timeout", timeout}});
}

bool is_deadline_cancel(const pqxx::sql_error& e) { return e.sqlstate() == "57014"; }

void enter_tenant(pqxx::transaction_base& tx, const std::string& tenant_id) {
    // Both statements in one round trip: the server runs them in order, and libpq returns the last one's result.
    check_tenant(tx.exec(set_config_statement(tx, tenant_settings(tenant_id)) + "; " + tenant_check(tx, tenant_id)), tenant_id);
}

TenantEntryInFlight::TenantEntryInFlight(pqxx::transaction_base& tx, const std::string& tenant_id, const Settings& settings)
    : pipeline_(tx), tenant_id_(tenant_id) {
    pipeline_.retain(2);  // both statements go in one message, sent by resume()
    settings_ = pipeline_.insert(set_config_statement(tx, tenant_settings(tenant_id, settings)));
    check_ = pipeline_.insert(tenant_check(tx, tenant_id));
    pipeline_.resume();
}

void TenantEntryInFlight::wait() {
    pipeline_.retrieve(settings_);
    check_tenant(pipeline_.retrieve(check_), tenant_id_);
    pipeline_.complete();  // hands the transaction back
}

QuerySpan::QuerySpan(pqxx::connection& conn, const char* operation)
    : span_(std::string("db ") + operation, observability::SpanKind::client),
      operation_(operation),
      start_(std::chrono::steady_clock::now()),
      exceptions_(std::uncaught_exceptions()) {
    if (!span_.recording()) return;
    span_.set("db.system", "postgresql");
    span_.set("db.operation.name", operation);
    if (const char* name = conn.dbname()) span_.set("db.namespace", name);
    if (const char* host = conn.hostname()) span_.set("server.address", host);
    if (const char* port = conn.port()) span_.set("server.port", std::string_view(port));
}

QuerySpan::~QuerySpan() {
    static auto& seconds = observability::metrics().histogram_family("voltedge_db_transaction_duration_seconds",
                                                                     "Time of database transactions and statements, by operation",
                                                                     {"operation"});
    seconds.with({operation_}).observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    if (std::uncaught_exceptions() > exceptions_) span_.set_error("the database work failed (see the request's log)");
}

void exec_as_tenant(pqxx::connection& conn, const std::string& tenant_id, const std::string& sql) {
    QuerySpan span(conn, "tenant_batch");
    pqxx::nontransaction tx(conn);
    try {
        tx.exec("BEGIN; " + set_config_statement(tx, tenant_settings(tenant_id)) + "; " + sql + "; COMMIT");
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

SessionLock::SessionLock(pqxx::connection& conn, const std::string& name, std::chrono::milliseconds wait)
    : conn_(conn), name_(name) {
    // Polled rather than pg_advisory_lock under a lock_timeout: nothing is left set on the session.
    const auto until = std::chrono::steady_clock::now() + wait;
    bool waiting = false;
    for (;;) {
        {
            pqxx::nontransaction tx(conn_);
            held_ = tx.exec_params1("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name_)[0].as<bool>();
        }
        if (held_ || std::chrono::steady_clock::now() >= until) return;
        if (!waiting) log_info("lock_wait", {{"lock", name_}, {"up_to_ms", wait.count()}});
        waiting = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

SessionLock::~SessionLock() {
    if (!held_) return;
    try {
        pqxx::nontransaction tx(conn_);
        tx.exec_params("SELECT pg_advisory_unlock(hashtextextended($1, 0))", name_);
    } catch (const std::exception& e) {  // a broken connection has released the lock already
        log_event("warn", "advisory_unlock_failed", {{"lock", name_}, {"error", e.what()}});
    }
}

}  // namespace voltedge::db
