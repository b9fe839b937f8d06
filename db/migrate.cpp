#include "db/migrate.h"

#include <libpq-fe.h>

#include <memory>

#include "core/error.h"
#include "core/log.h"
#include "db/connection.h"

namespace voltedge::db {
namespace {

constexpr long kMigrationLockKey = 0x766f6c7465646765;  // "voltedge"

struct Login {
    std::string user, password;
};

Login login_of(const std::string& url) {
    char* err = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconninfoParse(url.c_str(), &err), &PQconninfoFree);
    if (!opts) {
        std::string msg = err ? err : "unparseable";
        PQfreemem(err);
        throw Error("DATABASE_URL is not a valid PostgreSQL URL: " + msg);
    }
    Login login;
    for (auto* o = opts.get(); o->keyword; ++o) {
        if (!o->val) continue;
        if (std::string(o->keyword) == "user") login.user = o->val;
        if (std::string(o->keyword) == "password") login.password = o->val;
    }
    if (login.user.empty())
        throw Error("DATABASE_URL names no user",
                    "give the application login, e.g. postgresql://voltedge_app:PASSWORD@host/voltedge");
    return login;
}

void ensure_role(pqxx::work& tx, const std::string& role, const std::string& attributes) {
    if (tx.exec_params("SELECT 1 FROM pg_roles WHERE rolname = $1", role).empty())
        tx.exec("CREATE ROLE " + tx.quote_name(role) + " " + attributes);
    else
        tx.exec("ALTER ROLE " + tx.quote_name(role) + " " + attributes);
}

// The application login is made LOGIN NOSUPERUSER NOBYPASSRLS below: given the admin's own login (or another
// privileged role) by mistake, that would demote it and leave the database without a superuser.
void refuse_privileged_app_login(pqxx::work& tx, const Login& app_login) {
    const auto row = tx.exec_params(
        "SELECT rolname = current_user OR rolsuper OR rolcreaterole OR "
        "rolname IN ('voltedge_owner', 'voltedge_key_resolver', 'voltedge_searcher', 'voltedge_auditor') FROM pg_roles WHERE rolname = $1",
        app_login.user);
    if (!row.empty() && row[0][0].as<bool>())
        throw Error("DATABASE_URL logs in as " + app_login.user + ", a privileged role; migrate would strip its privileges",
                    "DATABASE_URL is the application's login (e.g. postgresql://voltedge_app:PASSWORD@host/voltedge), "
                    "DATABASE_ADMIN_URL the admin's");
}

void ensure_roles(pqxx::work& tx, const Login& app_login) {
    ensure_role(tx, "voltedge_owner", "NOLOGIN NOSUPERUSER NOBYPASSRLS");
    ensure_role(tx, "voltedge_key_resolver", "NOLOGIN NOSUPERUSER BYPASSRLS");
    ensure_role(tx, "voltedge_searcher", "NOLOGIN NOSUPERUSER BYPASSRLS");
    ensure_role(tx, "voltedge_auditor", "NOLOGIN NOSUPERUSER BYPASSRLS");
    const bool app_is_group = app_login.user == "voltedge_app";
    ensure_role(tx, "voltedge_app",
                app_is_group ? "LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD " + tx.quote(app_login.password)
                             : "NOLOGIN NOSUPERUSER NOBYPASSRLS");
    if (!app_is_group) {
        ensure_role(tx, app_login.user, "LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD " + tx.quote(app_login.password));
        tx.exec("GRANT voltedge_app TO " + tx.quote_name(app_login.user));
    }
    const std::string db = tx.quote_name(tx.exec1("SELECT current_database()")[0].as<std::string>());
    tx.exec("GRANT CONNECT ON DATABASE " + db + " TO voltedge_app");
    tx.exec("GRANT USAGE, CREATE ON SCHEMA public TO voltedge_owner");
    tx.exec("GRANT USAGE ON SCHEMA public TO voltedge_app, voltedge_key_resolver, voltedge_auditor");
    // A non-superuser admin needs membership to act as the owner, and as the auditor to read every tenant's
    // audit chain (voltedge audit verify); for a superuser these are no-op grants.
    tx.exec("GRANT voltedge_owner, voltedge_auditor TO CURRENT_USER");
    // Extensions need the admin (a superuser, or a cloud database's admin role); the migrations use them.
    tx.exec("CREATE EXTENSION IF NOT EXISTS vector");
    tx.exec("CREATE EXTENSION IF NOT EXISTS pg_trgm");
    tx.exec("CREATE EXTENSION IF NOT EXISTS btree_gin");
    tx.exec(R"(CREATE TABLE IF NOT EXISTS schema_migrations (
                 version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now()))");
    tx.exec("ALTER TABLE schema_migrations OWNER TO voltedge_owner");
}

// The key resolver function is created by the owner; handing it to the BYPASSRLS resolver role needs the
// admin, so it is done here rather than in a migration file.
// resolve_key (005) replaces resolve_api_key (001), which only its role's owner, the admin, can drop.
void hand_resolver_to_its_role(pqxx::work& tx) {
    const auto exists = [&](const char* signature) {
        return tx.exec_params("SELECT to_regprocedure($1) IS NOT NULL", signature)[0][0].as<bool>();
    };
    const bool scoped = exists("resolve_key(text)");
    if (scoped && exists("resolve_api_key(text)")) tx.exec("DROP FUNCTION resolve_api_key(text)");
    const char* function = scoped ? "resolve_key(text)" : exists("resolve_api_key(text)") ? "resolve_api_key(text)" : nullptr;
    if (!function) return;
    tx.exec("GRANT SELECT ON api_keys TO voltedge_key_resolver");
    if (scoped) tx.exec("GRANT SELECT ON operator_keys TO voltedge_key_resolver");
    tx.exec(std::string("ALTER FUNCTION ") + function + " OWNER TO voltedge_key_resolver");
}

// rag_text_candidates (008, 019, 020) reads one tenant's chunks with row-level security bypassed, so that its full-text
// match can use the GIN indexes; it filters by the calling transaction's tenant itself. Its role may read
// rag_chunks and nothing else.
void hand_text_search_to_its_role(pqxx::work& tx) {
    const std::string function = "rag_text_candidates(tsquery, tsquery, tsquery, tsquery, text, text, int, int)";
    if (!tx.exec("SELECT to_regprocedure(" + tx.quote(function) + ") IS NOT NULL")[0][0].as<bool>()) return;
    tx.exec("GRANT SELECT ON rag_chunks TO voltedge_searcher");
    tx.exec("ALTER FUNCTION " + function + " OWNER TO voltedge_searcher");
}

// The functions handed to the narrow roles above go back to voltedge_owner while a migration runs, so that a
// migration can replace or drop them (019 and 020 replace rag_text_candidates); the hand_* steps give them back after.
void take_back_handed_functions(pqxx::work& tx) {
    for (const auto& row : tx.exec("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner "
                                   "WHERE r.rolname IN ('voltedge_key_resolver', 'voltedge_searcher', 'voltedge_auditor')"))
        tx.exec("ALTER FUNCTION " + row[0].as<std::string>() + " OWNER TO voltedge_owner");
}

// audit_chain_link (017) links each new audit row to its tenant's chain whoever inserts it, so it runs as
// voltedge_auditor (BYPASSRLS; reads audit_log, writes audit_heads, nothing else).
void hand_audit_chain_to_its_role(pqxx::work& tx) {
    if (!tx.exec("SELECT to_regprocedure('audit_chain_link()') IS NOT NULL")[0][0].as<bool>()) return;
    tx.exec("ALTER FUNCTION audit_chain_link() OWNER TO voltedge_auditor");
}

}  // namespace

MigrationReport migrate(const std::string& admin_url, const std::string& app_url) {
    const Login app_login = login_of(app_url);
    pqxx::connection conn = connect(admin_url);
    conn.set_variable("client_min_messages", "warning");
    // A session-level lock: held across the per-migration transactions, released at the end or on disconnect.
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");

    MigrationReport report;
    {
        pqxx::work tx(conn);
        refuse_privileged_app_login(tx, app_login);
        ensure_roles(tx, app_login);
        tx.commit();
    }
    for (const Migration& m : bundled_migrations()) {
        pqxx::work tx(conn);
        if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version).empty()) {
            report.already.push_back(m.version);
            continue;
        }
        take_back_handed_functions(tx);
        tx.exec("SET LOCAL ROLE voltedge_owner");
        try {
            tx.exec(m.sql);
        } catch (const pqxx::sql_error& e) {
            throw Error("migration " + m.version + " failed: " + e.what(), "nothing of it was applied; fix the SQL and rerun");
        }
        tx.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)", m.version);
        tx.exec("RESET ROLE");
        hand_resolver_to_its_role(tx);
        hand_text_search_to_its_role(tx);
        hand_audit_chain_to_its_role(tx);
        tx.commit();
        report.applied.push_back(m.version);
        log_info("migration_applied", {{"version", m.version}});
    }
    pqxx::nontransaction(conn).exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    return report;
}

}  // namespace voltedge::db
